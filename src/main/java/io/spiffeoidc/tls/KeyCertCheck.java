package io.spiffeoidc.tls;

import io.spiffeoidc.logging.LogSanitiser;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * Decides whether a PEM certificate chain and key can be served. Vert.x loads a key and a certificate that
 * do not belong together without complaint and every handshake would then fail, so the pair is proven
 * here: by the key's own public values where it carries them, else by signing with the key and verifying
 * with the leaf certificate's public key.
 */
final class KeyCertCheck {

    private static final Pattern SEC1_PEM = Pattern.compile("-----BEGIN EC PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END EC PRIVATE KEY-----");

    private KeyCertCheck() {
    }

    /** The leaf certificate when the pair is usable, else the reason it is not. */
    /** A certificate's subject as messages and log lines quote it: it comes from the file, so sanitised. */
    static String subject(X509Certificate certificate) {
        return LogSanitiser.clean(certificate.getSubjectX500Principal().getName());
    }

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
                    return Result.refused("no private key for certificate " + subject(leaf));
                }
                if (pairing(key, leaf.getPublicKey(), contents.key()) == Pairing.DIFFERENT) {
                    return Result.refused("the private key does not belong to certificate "
                            + subject(leaf));
                }
                if (leaf.getNotAfter().before(Date.from(now))) {
                    return Result.refused("certificate " + subject(leaf) + " expired on "
                            + leaf.getNotAfter().toInstant());
                }
                if (leaf.getNotBefore().after(Date.from(now))) {
                    return Result.refused("certificate " + subject(leaf) + " is not valid before "
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

    /** How a key and a certificate's public key were found to belong together, or that they do not. */
    enum Pairing {
        /** The private key's own public values are the certificate's. */
        SAME_PUBLIC_KEY,
        /** A signature made with the key verified with the certificate's public key. */
        SIGNATURE,
        /** An algorithm this check cannot exercise; the handshake will tell. */
        UNCHECKED,
        DIFFERENT
    }

    /**
     * Compares public values where the private key carries them (an RSA CRT key's modulus and exponent, an
     * EC key's embedded point) and signs and verifies only where it does not: on a JVM that has just
     * started, a signature is about 200 ms of one CPU (elliptic-curve arithmetic, interpreted, and its
     * compilation). The values come from the key file itself, so a file whose public part contradicts its
     * private part is not caught here; no key tool writes one.
     */
    static Pairing pairing(PrivateKey key, PublicKey publicKey, byte[] keyFile) throws Exception {
        if (key instanceof RSAPrivateCrtKey rsa) {
            if (!(publicKey instanceof RSAPublicKey certificateKey)) {
                return Pairing.DIFFERENT;
            }
            boolean same = rsa.getModulus().equals(certificateKey.getModulus())
                    && rsa.getPublicExponent().equals(certificateKey.getPublicExponent());
            return same ? Pairing.SAME_PUBLIC_KEY : Pairing.DIFFERENT;
        }
        if (key instanceof ECPrivateKey ec) {
            if (!(publicKey instanceof ECPublicKey certificateKey)) {
                return Pairing.DIFFERENT;
            }
            if (!sameCurve(ec.getParams(), certificateKey.getParams())) {
                return Pairing.DIFFERENT;
            }
            Optional<byte[]> point = Optional.ofNullable(ec.getEncoded()).flatMap(der -> EmbeddedEcPoint.of(der, ec.getS()))
                    .or(() -> sec1(keyFile).flatMap(der -> EmbeddedEcPoint.of(der, ec.getS())));
            if (point.isPresent() && point.get().length > 0 && point.get()[0] == 0x04) {
                return Arrays.equals(point.get(), uncompressed(certificateKey)) ? Pairing.SAME_PUBLIC_KEY : Pairing.DIFFERENT;
            }
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> key.getAlgorithm();
            default -> null;
        };
        if (algorithm == null) {
            return Pairing.UNCHECKED;
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
            return Pairing.DIFFERENT; // e.g. an EC key with an RSA certificate
        }
        verifier.update(challenge);
        return verifier.verify(signature) ? Pairing.SIGNATURE : Pairing.DIFFERENT;
    }

    /** The DER of the file's SEC 1 block, if it has one. */
    private static Optional<byte[]> sec1(byte[] keyFile) {
        Matcher block = SEC1_PEM.matcher(new String(keyFile, StandardCharsets.US_ASCII));
        if (!block.find()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Base64.getMimeDecoder().decode(block.group(1)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
        return a.getCurve().equals(b.getCurve()) && a.getGenerator().equals(b.getGenerator()) && a.getOrder().equals(b.getOrder());
    }

    /** 0x04 || X || Y, each coordinate as many bytes as the field needs (SEC 1, 2.3.3). */
    private static byte[] uncompressed(ECPublicKey key) {
        int size = (key.getParams().getCurve().getField().getFieldSize() + 7) / 8;
        byte[] out = new byte[1 + 2 * size];
        out[0] = 0x04;
        ECPoint w = key.getW();
        if (!fixedLength(w.getAffineX(), out, 1, size) || !fixedLength(w.getAffineY(), out, 1 + size, size)) {
            return new byte[0];
        }
        return out;
    }

    private static boolean fixedLength(BigInteger value, byte[] out, int offset, int size) {
        byte[] bytes = value.toByteArray();
        int skip = bytes.length > size && bytes[0] == 0 ? 1 : 0; // the sign byte of a value with its top bit set
        int length = bytes.length - skip;
        if (length > size) {
            return false;
        }
        System.arraycopy(bytes, skip, out, offset + size - length, length);
        return true;
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
