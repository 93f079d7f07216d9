package io.spiffeoidc.tls;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The first load of the HTTPS certificate files, given the same checks as every reload. Without it the
 * TLS registry reads the files itself: a missing file ends start-up with a long stack trace, and a key
 * that does not belong to its certificate gives a listener that reports ready and completes no handshake.
 */
public final class StartupCertificates {

    public static final String CERT_PROPERTY = "quarkus.tls." + CertificateReloader.PUBLIC_TLS + ".key-store.pem.0.cert";
    public static final String KEY_PROPERTY = "quarkus.tls." + CertificateReloader.PUBLIC_TLS + ".key-store.pem.0.key";
    private static final String CERT_VARIABLE = "QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_CERT";
    private static final String KEY_VARIABLE = "QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_KEY";
    private static final String ALTERNATIVE = "or set QUARKUS_PROFILE=plain-http to serve plain HTTP behind a proxy"
            + " that terminates TLS";

    private StartupCertificates() {
    }

    /**
     * One line per problem, each naming the file, the variable that sets it and the alternative; empty
     * when the pair can be served or no HTTPS certificate is configured.
     */
    public static List<String> problems(Optional<Path> certFile, Optional<Path> keyFile, Instant now) {
        if (certFile.isEmpty() && keyFile.isEmpty()) {
            return List.of();
        }
        List<String> problems = new ArrayList<>();
        if (certFile.isEmpty() || keyFile.isEmpty()) {
            boolean certMissing = certFile.isEmpty();
            problems.add((certMissing ? CERT_PROPERTY : KEY_PROPERTY) + ": required with "
                    + (certMissing ? KEY_PROPERTY : CERT_PROPERTY) + "; set " + (certMissing ? CERT_VARIABLE : KEY_VARIABLE)
                    + ", " + ALTERNATIVE);
            return problems;
        }
        readable(certFile.get(), CERT_PROPERTY, CERT_VARIABLE, "certificate", problems);
        readable(keyFile.get(), KEY_PROPERTY, KEY_VARIABLE, "private key", problems);
        if (!problems.isEmpty()) {
            return problems;
        }
        KeyCertFiles files = new KeyCertFiles(certFile.get(), keyFile.get());
        KeyCertCheck.Result result;
        try {
            result = KeyCertCheck.check(files.read(), now);
        } catch (IOException e) {
            return List.of(CERT_PROPERTY + ": " + files.cert() + " or " + files.key() + " cannot be read ("
                    + e.getMessage() + "); set " + CERT_VARIABLE + " and " + KEY_VARIABLE + ", " + ALTERNATIVE);
        }
        if (!result.isUsable()) {
            problems.add(CERT_PROPERTY + ": " + files.cert() + " with key " + files.key() + " cannot be served: "
                    + result.problem() + "; set " + CERT_VARIABLE + " and " + KEY_VARIABLE + " to a matching, valid pair, "
                    + ALTERNATIVE);
        }
        return problems;
    }

    private static void readable(Path file, String property, String variable, String what, List<String> problems) {
        String reason = null;
        if (!Files.exists(file)) {
            reason = "does not exist";
        } else if (!Files.isRegularFile(file)) {
            reason = "is not a file";
        } else {
            try (var in = Files.newInputStream(file)) {
                in.read();
            } catch (NoSuchFileException e) {
                reason = "does not exist";
            } catch (AccessDeniedException e) {
                reason = "cannot be read (permission denied)";
            } catch (IOException e) {
                reason = "cannot be read (" + e.getMessage() + ")";
            }
        }
        if (reason != null) {
            problems.add(property + ": " + what + " file " + file + " " + reason + "; set " + variable
                    + " to the PEM " + what + " file, " + ALTERNATIVE);
        }
    }
}
