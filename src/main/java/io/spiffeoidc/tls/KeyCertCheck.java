package io.spiffeoidc.tls;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import java.security.InvalidKeyException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collections;
import java.util.Date;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * Decides whether a PEM certificate chain and key can be served. Vert.x loads a key and a certificate that
 * do not belong together without complaint and every handshake would then fail, so the pair is proven
 * here by signing with the key and verifying with the leaf certificate's public key.
 */
final class KeyCertCheck {

    private KeyCertCheck() {
    }

    /** The leaf certificate when the pair is usable, else the reason it is not. */
    static Result check(KeyCertFiles.Contents contents, Instant now) {
        X509KeyManager keyManager;
        KeyStore keyStore;
        try {
            PemKeyCertOptions options = new PemKeyCertOptions()
                    .setCertValue(Buffer.buffer(contents.cert()))
                    .setKeyValue(Buffer.buffer(contents.key()));
            // Vert.x only needs its instance to read paths; given the bytes, it parses them as the listener
            // will, which lets the first check run while the configuration is built, before Vert.x exists.
            Vertx noFileSystem = null;
            keyStore = options.loadKeyStore(noFileSystem);
            keyManager = x509(options.getKeyManagerFactory(noFileSystem).getKeyManagers());
        } catch (Exception | LinkageError e) {
            return Result.refused("not a PEM certificate and private key (" + describe(e) + ")");
        }
        try {
            for (String alias : Collections.list(keyStore.aliases())) {
                Certificate[] chain = keyStore.getCertificateChain(alias);
                if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
                    continue;
                }
                PrivateKey key = keyManager == null ? null : keyManager.getPrivateKey(alias);
                if (key == null) {
                    return Result.refused("no private key for certificate " + leaf.getSubjectX500Principal().getName());
                }
                if (!belongTogether(key, leaf.getPublicKey())) {
                    return Result.refused("the private key does not belong to certificate "
                            + leaf.getSubjectX500Principal().getName());
                }
                if (leaf.getNotAfter().before(Date.from(now))) {
                    return Result.refused("certificate " + leaf.getSubjectX500Principal().getName() + " expired on "
                            + leaf.getNotAfter().toInstant());
                }
                if (leaf.getNotBefore().after(Date.from(now))) {
                    return Result.refused("certificate " + leaf.getSubjectX500Principal().getName() + " is not valid before "
                            + leaf.getNotBefore().toInstant());
                }
                return Result.usable(leaf);
            }
        } catch (Exception e) {
            return Result.refused("unreadable key store (" + describe(e) + ")");
        }
        return Result.refused("no certificate found");
    }

    private static X509KeyManager x509(KeyManager[] managers) {
        for (KeyManager manager : managers) {
            if (manager instanceof X509KeyManager x509) {
                return x509;
            }
        }
        return null;
    }

    private static boolean belongTogether(PrivateKey key, PublicKey publicKey) throws Exception {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> key.getAlgorithm();
            default -> null;
        };
        if (algorithm == null) {
            return true; // an algorithm we cannot exercise here; the handshake will tell
        }
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(challenge);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        try {
            verifier.initVerify(publicKey);
        } catch (InvalidKeyException e) {
            return false; // e.g. an EC key with an RSA certificate
        }
        verifier.update(challenge);
        return verifier.verify(signature);
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        // Refusals are single log and start-up lines: a parser's multi-line message must not break them.
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message.replaceAll("\\s+", " ").trim();
    }

    record Result(Optional<X509Certificate> leaf, String problem) {

        static Result usable(X509Certificate leaf) {
            return new Result(Optional.of(leaf), null);
        }

        static Result refused(String problem) {
            return new Result(Optional.empty(), problem);
        }

        boolean isUsable() {
            return leaf.isPresent();
        }
    }
}
