package io.spiffeoidc.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.internal.tcnative.SSL;
import io.netty.util.ReferenceCountUtil;
import io.spiffeoidc.testsupport.TestPki;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/** Three real TLS clients against a listener on localhost: OpenSSL's s_client, the JDK's and BoringSSL's. */
public final class TlsClients {

    private TlsClients() {
    }

    /** What a handshake settled on; a failed one has none of it. */
    record Handshake(boolean completed, String protocol, String cipher, String group, String transcript) {

        @Override
        public String toString() {
            return completed ? protocol + " " + cipher + " " + group : "no handshake: " + transcript;
        }
    }

    public static boolean opensslInstalled() {
        try {
            Process process = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384"; "New, (NONE), Cipher is (NONE)" when the handshake failed. */
    private static final Pattern NEW_SESSION = Pattern.compile("^New, (\\S+), Cipher is (\\S+)", Pattern.MULTILINE);
    private static final Pattern TEMP_KEY = Pattern.compile("^(?:Server Temp Key|Peer Temp Key): (.+)$", Pattern.MULTILINE);
    private static final Pattern TLS13_GROUP = Pattern.compile("^Negotiated TLS1\\.3 group: (\\S+)", Pattern.MULTILINE);

    /**
     * openssl s_client with the given options (-tls1_2, -cipher, -groups ...); the CA file verifies the chain.
     * OpenSSL prints the group as "Server Temp Key: X25519, 253 bits" or "ECDH, secp384r1, 384 bits".
     */
    static Handshake openssl(int port, Path caFile, String... options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "localhost", "-CAfile", caFile.toString(), "-verify_return_error"));
        command.addAll(List.of(options));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(new File("/dev/null")).start();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("openssl s_client did not finish: " + command);
        }
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Matcher session = NEW_SESSION.matcher(out);
        if (!session.find() || session.group(1).equals("(NONE)")) {
            return new Handshake(false, null, null, null, lastLines(out));
        }
        Optional<String> protocol = Optional.of(session.group(1));
        Optional<String> cipher = Optional.of(session.group(2));
        String group = find(TLS13_GROUP, out).or(() -> find(TEMP_KEY, out).map(TlsClients::groupOfTempKey)).orElse("?");
        return new Handshake(true, protocol.get(), cipher.get(), group, lastLines(out));
    }

    /** "X25519, 253 bits" is x25519; "ECDH, secp384r1, 384 bits" (or prime256v1) is the curve named. */
    private static String groupOfTempKey(String tempKey) {
        String[] parts = tempKey.split(",\\s*");
        String name = parts[0].equals("ECDH") && parts.length > 1 ? parts[1] : parts[0];
        return name.equals("prime256v1") ? "secp256r1" : name.toLowerCase(java.util.Locale.ROOT);
    }

    private static Optional<String> find(Pattern pattern, String text) {
        Matcher matcher = pattern.matcher(text);
        return matcher.find() ? Optional.of(matcher.group(1).trim()) : Optional.empty();
    }

    private static String lastLines(String out) {
        String[] lines = out.strip().split("\n");
        return String.join(" | ", List.of(lines).subList(Math.max(0, lines.length - 4), lines.length));
    }

    /** The JDK's client with explicit protocols and suites (null: the JDK's defaults); the group is not exposed. */
    static Handshake jdk(TestPki pki, int port, String[] protocols, String[] suites) {
        try (SSLSocket socket = (SSLSocket) pki.clientContext().getSocketFactory().createSocket("localhost", port)) {
            socket.setSoTimeout(10_000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName("localhost")));
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            if (protocols != null) {
                parameters.setProtocols(protocols);
            }
            if (suites != null) {
                parameters.setCipherSuites(suites);
            }
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            SSLSession session = socket.getSession();
            return new Handshake(true, session.getProtocol(), session.getCipherSuite(), "?", "");
        } catch (IOException e) {
            return new Handshake(false, null, null, null, e.toString());
        }
    }

    /**
     * BoringSSL (netty-tcnative) as a client offering only {@code curves} (BoringSSL's names), driven by hand
     * over a blocking socket. tcnative does not report the negotiated group, so a test proves it by offering
     * one group at a time.
     */
    static Handshake boringSsl(int port, String curves) throws IOException {
        SslContext context = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).protocols("TLSv1.3", "TLSv1.2").build();
        SSLEngine engine = context.newEngine(ByteBufAllocator.DEFAULT, "localhost", port);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            if (!SSL.setCurvesList(((ReferenceCountedOpenSslEngine) engine).sslPointer(), curves)) {
                throw new IllegalArgumentException("BoringSSL does not know " + curves);
            }
            socket.setSoTimeout(10_000);
            handshake(engine, socket);
            SSLSession session = engine.getSession();
            return new Handshake(true, session.getProtocol(), session.getCipherSuite(), curves, "");
        } catch (SSLException e) {
            return new Handshake(false, null, null, null, e.toString());
        } finally {
            ReferenceCountUtil.release(engine);
            ReferenceCountUtil.release(context);
        }
    }

    private static void handshake(SSLEngine engine, Socket socket) throws IOException {
        ByteBuffer empty = ByteBuffer.allocate(0);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        ByteBuffer in = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        ByteBuffer app = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
        engine.beginHandshake();
        HandshakeStatus status = engine.getHandshakeStatus();
        while (status != HandshakeStatus.FINISHED && status != HandshakeStatus.NOT_HANDSHAKING) {
            switch (status) {
                case NEED_WRAP -> {
                    out.clear();
                    SSLEngineResult result = engine.wrap(empty, out);
                    socket.getOutputStream().write(out.array(), 0, out.position());
                    status = result.getHandshakeStatus();
                }
                case NEED_UNWRAP -> {
                    in.flip();
                    SSLEngineResult result = engine.unwrap(in, app);
                    in.compact();
                    if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW
                            || (result.bytesConsumed() == 0 && result.getHandshakeStatus() == HandshakeStatus.NEED_UNWRAP)) {
                        byte[] buffer = new byte[in.remaining()];
                        int read = socket.getInputStream().read(buffer);
                        if (read < 0) {
                            throw new SSLException("the server closed the connection during the handshake");
                        }
                        in.put(buffer, 0, read);
                    }
                    app.clear();
                    status = result.getHandshakeStatus();
                }
                case NEED_TASK -> {
                    Runnable task;
                    while ((task = engine.getDelegatedTask()) != null) {
                        task.run();
                    }
                    status = engine.getHandshakeStatus();
                }
                default -> throw new SSLException("unexpected handshake state " + status);
            }
        }
    }

    /** The CA of {@code pki} as a PEM file for s_client. */
    static Path caFile(TestPki pki, Path directory) throws IOException {
        Path file = directory.resolve("ca.pem");
        Files.writeString(file, TestPki.pem(pki.caCertificate()));
        return file;
    }
}
