package io.spiffeoidc.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link S3ProxyServer} as a process, for suites that run the packaged service against an S3 store (interop/run.sh
 * with INTEROP_ISSUER_VIA=s3):
 *
 * <pre>
 * java -cp target/test-classes:target/classes:$(cat target/test-classpath.txt) \
 *     io.spiffeoidc.testsupport.S3ProxyMain --dir DIR --bucket NAME --key-dir DIR \
 *     [--keystore server.p12 --keystore-password PASSWORD] [-Ds3proxy.jar=target/stores/s3proxy.jar]
 * </pre>
 *
 * Starts S3Proxy on 127.0.0.1 with its objects under {@code --dir} (a file system with user extended attributes),
 * plain HTTP and, with a keystore (PKCS#12 or JKS, one key entry, one password for the store and the key), HTTPS;
 * creates the bucket; writes the only accepted access key to {@code --key-dir}/access-key-id and
 * {@code --key-dir}/secret-access-key (owner-only files, as a Secret mounts them). Then prints, one per line:
 *
 * <pre>
 * endpoint=http://127.0.0.1:NNNNN
 * secure-endpoint=https://127.0.0.1:NNNNN      (with a keystore)
 * log=/.../target/object-stores/s3proxy-NNNNN.log
 * ready
 * </pre>
 *
 * and stays until S3Proxy exits (this process then exits 1) or this process is ended: S3Proxy is ended with it (the
 * store's shutdown hook, and a signal to the process group from timeout(1) reaches it too).
 */
public final class S3ProxyMain {

    private S3ProxyMain() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> options = options(args);
        Path keystore = options.containsKey("--keystore") ? Path.of(options.get("--keystore")) : null;
        if (keystore != null && !options.containsKey("--keystore-password")) {
            fail("--keystore needs --keystore-password");
        }
        String bucket = required(options, "--bucket");
        Path keyDir = Files.createDirectories(Path.of(required(options, "--key-dir")));
        S3ProxyServer server = new S3ProxyServer(Path.of(required(options, "--dir")), keystore,
                options.get("--keystore-password"));
        server.start();
        try {
            server.createBucket(bucket);
        } catch (RuntimeException e) {
            server.stop();
            throw e;
        }
        ownerOnly(keyDir.resolve("access-key-id"), server.accessKey());
        ownerOnly(keyDir.resolve("secret-access-key"), server.secretKey());
        System.out.println("endpoint=" + server.endpoint());
        server.secureEndpoint().ifPresent(secure -> System.out.println("secure-endpoint=" + secure));
        System.out.println("log=" + server.log());
        System.out.println("ready");
        System.out.flush();
        // S3ProxyServer's only child process is S3Proxy; ending this JVM ends it (its shutdown hook).
        ProcessHandle s3proxy = ProcessHandle.current().children().findFirst()
                .orElseThrow(() -> new IllegalStateException("S3Proxy is not a child of this process"));
        s3proxy.onExit().join();
        System.err.println("S3Proxy exited; " + server.logTail());
        System.exit(1);
    }

    private static void ownerOnly(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content + "\n");
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                fail("expected --name value pairs, got: " + String.join(" ", args));
            }
            options.put(args[i], args[i + 1]);
        }
        return options;
    }

    private static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            fail(name + " is required");
        }
        return value;
    }

    private static void fail(String message) {
        System.err.println("S3ProxyMain: " + message);
        System.exit(2);
    }
}
