package io.spiffeoidc.reliability;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;

/** HTTP/1.x spoken by hand over TLS, for requests no well-behaved client would send. */
final class Wire {

    private static final Pattern STATUS_LINE = Pattern.compile("(?m)^HTTP/\\d\\.\\d (\\d{3})");
    private static final int MAX_HEAD = 256 * 1024;

    private Wire() {
    }

    record Response(int status, String head, byte[] body) {
        String text() {
            return head + new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    /** What came back for one hand-written request: every status line seen and all bytes, as text. */
    record Exchange(List<Integer> statuses, String text, String note) {
        int status() {
            return statuses.isEmpty() ? -1 : statuses.get(0);
        }

        String describe() {
            return statuses.isEmpty() ? note : statuses.toString();
        }
    }

    /** Reads one response; null on a clean end of stream before any byte. */
    static Response read(InputStream in, boolean headRequest) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while (matched < 4) {
            b = in.read();
            if (b < 0) {
                if (head.size() == 0) {
                    return null;
                }
                return new Response(status(head.toString(StandardCharsets.ISO_8859_1)), head.toString(StandardCharsets.ISO_8859_1),
                        new byte[0]);
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (head.size() > MAX_HEAD) {
                throw new IOException("response head over " + MAX_HEAD + " bytes");
            }
        }
        String headText = head.toString(StandardCharsets.ISO_8859_1);
        int status = status(headText);
        String lower = headText.toLowerCase(Locale.ROOT);
        if (headRequest || status / 100 == 1 || status == 204 || status == 304) {
            return new Response(status, headText, new byte[0]);
        }
        Matcher length = Pattern.compile("(?m)^content-length:\\s*(\\d+)").matcher(lower);
        if (length.find()) {
            return new Response(status, headText, in.readNBytes(Integer.parseInt(length.group(1))));
        }
        if (lower.contains("transfer-encoding: chunked")) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                String size = line(in);
                int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                if (n == 0) {
                    line(in);
                    return new Response(status, headText, body.toByteArray());
                }
                body.write(in.readNBytes(n));
                line(in);
            }
        }
        return new Response(status, headText, in.readAllBytes());
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    private static int status(String head) {
        Matcher matcher = STATUS_LINE.matcher(head);
        return matcher.find() ? Integer.parseInt(matcher.group(1)) : -1;
    }

    /** One request on a new TLS connection: the first response, then whatever else arrives within 200 ms. */
    static Exchange exchange(Tls tls, int port, byte[] request, boolean headRequest) {
        List<Integer> statuses = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        String note = "";
        try (SSLSocket socket = tls.connect(port, 5000)) {
            try {
                socket.getOutputStream().write(request);
                socket.getOutputStream().flush();
            } catch (IOException e) {
                note = "connection closed while sending (" + e.getClass().getSimpleName() + ")";
            }
            try {
                Response response = read(socket.getInputStream(), headRequest);
                if (response == null) {
                    note = note.isEmpty() ? "closed without a response" : note;
                } else {
                    text.append(response.text());
                    socket.setSoTimeout(200);
                    ByteArrayOutputStream rest = new ByteArrayOutputStream();
                    try {
                        byte[] buffer = new byte[8192];
                        int n;
                        while ((n = socket.getInputStream().read(buffer)) >= 0 && rest.size() < 1 << 20) {
                            rest.write(buffer, 0, n);
                        }
                    } catch (SocketTimeoutException idle) {
                        // nothing more
                    }
                    text.append(rest.toString(StandardCharsets.ISO_8859_1));
                }
            } catch (SocketTimeoutException e) {
                note = "no response within 5 s";
            } catch (IOException e) {
                note = note.isEmpty() ? "closed without a response (" + e.getClass().getSimpleName() + ")" : note;
            }
        } catch (IOException e) {
            note = "connect/handshake failed: " + e;
        }
        Matcher matcher = STATUS_LINE.matcher(text);
        while (matcher.find()) {
            statuses.add(Integer.parseInt(matcher.group(1)));
        }
        return new Exchange(statuses, text.toString(), note);
    }
}
