package io.spiffeoidc.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 written by hand, for requests no well-behaved client library would send (oversized request
 * lines, dozens of headers, bodies on GET) and for connections that must stay open across a test.
 */
public final class RawHttp {

    private RawHttp() {
    }

    /** Sends exact bytes to the loopback port, half-closes, and reads the reply to the server's close. */
    public static Response send(int port, String request) {
        return send(port, request.getBytes(StandardCharsets.ISO_8859_1));
    }

    public static Response send(int port, byte[] request) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            socket.shutdownOutput();
            return read(socket.getInputStream(), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends the request on a fresh connection and reads until the server closes it or 5 s pass. */
    public static Response exchange(String host, int port, String request) {
        try (Socket socket = new Socket(host, port)) {
            socket.setSoTimeout(5000);
            return exchange(socket, request, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the request and reads one response: to the close, or exactly Content-Length bytes of body. */
    public static Response exchange(Socket socket, String request, boolean readToClose) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return read(socket.getInputStream(), readToClose);
    }

    public static Response read(InputStream in, boolean readToClose) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String headText = head.toString(StandardCharsets.ISO_8859_1);
        Response partial = new Response(headText, "");
        String length = partial.header("content-length");
        byte[] body;
        if (readToClose || length == null) {
            body = in.readAllBytes();
        } else {
            body = in.readNBytes(Integer.parseInt(length.trim()));
        }
        return new Response(headText, new String(body, StandardCharsets.UTF_8));
    }

    public record Response(String head, String body) {

        public int status() {
            String[] statusLine = head.split("\r\n", 2)[0].split(" ");
            return statusLine.length > 1 ? Integer.parseInt(statusLine[1]) : -1;
        }

        /** The first value of a header, by case-insensitive name, or null. */
        public String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }
}
