package io.spiffeoidc.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spiffeoidc.testsupport.TestPki;
import io.spiffeoidc.tls.KeyCertCheck.Pairing;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.junit.jupiter.api.Test;

/**
 * The key and certificate pairing as the listener will load it (Vert.x's PEM reading), for the key
 * forms key tools write: which way the pair was proven, and that a foreign key is always refused.
 */
class KeyCertCheckTest {

    private static final TestPki CA = TestPki.newCa();

    @Test
    void anEcKeyCarryingItsPointIsMatchedWithoutSigning() throws Exception {
        KeyPair keys = TestPki.ecKeys("secp256r1");
        String cert = TestPki.pem(CA.issue("ec", keys).certificate());
        assertEquals(Pairing.SAME_PUBLIC_KEY, pairing(cert, pkcs8WithPoint(keys)));
        assertTrue(check(cert, pkcs8WithPoint(keys)).isUsable());
    }

    @Test
    void anEcKeyOfAnotherPairIsRefusedWhetherOrNotItCarriesItsPoint() throws Exception {
        String cert = TestPki.pem(CA.issue("ec", TestPki.ecKeys("secp256r1")).certificate());
        KeyPair other = TestPki.ecKeys("secp256r1");
        assertEquals(Pairing.DIFFERENT, pairing(cert, pkcs8WithPoint(other)));
        assertEquals(Pairing.DIFFERENT, pairing(cert, pem("PRIVATE KEY", other.getPrivate().getEncoded())));
        assertEquals("the private key does not belong to certificate CN=ec", check(cert, pkcs8WithPoint(other)).problem());
    }

    @Test
    void anEcKeyWithoutItsPointIsProvenBySigning() throws Exception {
        KeyPair keys = TestPki.ecKeys("secp256r1");
        byte[] withoutPoint = keys.getPrivate().getEncoded();
        assertTrue(EmbeddedEcPoint.of(withoutPoint, scalar(keys)).isEmpty(), "the JDK's own encoding carries no point");
        String cert = TestPki.pem(CA.issue("ec", keys).certificate());
        assertEquals(Pairing.SIGNATURE, pairing(cert, pem("PRIVATE KEY", withoutPoint)));
    }

    @Test
    void aSec1KeyAsOpenSslWritesItIsMatchedWithoutSigning() throws Exception {
        KeyPair keys = TestPki.ecKeys("secp256r1");
        String cert = TestPki.pem(CA.issue("ec", keys).certificate());
        ECPrivateKey sec1 = new ECPrivateKey(256, scalar(keys), point(keys), new X962Parameters(SECObjectIdentifiers.secp256r1));
        assertEquals(Pairing.SAME_PUBLIC_KEY, pairing(cert, pem("EC PRIVATE KEY", sec1.getEncoded())));
    }

    @Test
    void aKeyOnAnotherCurveIsRefused() throws Exception {
        String cert = TestPki.pem(CA.issue("ec", TestPki.ecKeys("secp256r1")).certificate());
        assertEquals(Pairing.DIFFERENT, pairing(cert, pkcs8WithPoint(TestPki.ecKeys("secp384r1"))));
    }

    @Test
    void rsaKeysAreMatchedByModulusAndExponent() throws Exception {
        TestPki.Leaf leaf = CA.issue("rsa");
        TestPki.Leaf other = CA.issue("other");
        String cert = TestPki.pem(leaf.certificate());
        assertEquals(Pairing.SAME_PUBLIC_KEY, pairing(cert, TestPki.pem(leaf.keys().getPrivate())));
        assertEquals(Pairing.DIFFERENT, pairing(cert, TestPki.pem(other.keys().getPrivate())));
    }

    @Test
    void keysOfTheOtherAlgorithmAreRefused() throws Exception {
        TestPki.Leaf rsa = CA.issue("rsa");
        KeyPair ec = TestPki.ecKeys("secp256r1");
        String ecCert = TestPki.pem(CA.issue("ec", ec).certificate());
        // Vert.x itself refuses to pair keys of different algorithms; the check says so in its words.
        assertTrue(check(TestPki.pem(rsa.certificate()), pkcs8WithPoint(ec)).problem().startsWith("not a PEM certificate"));
        assertTrue(check(ecCert, TestPki.pem(rsa.keys().getPrivate())).problem().startsWith("not a PEM certificate"));
        // And should it ever pair them, the comparison refuses them too.
        assertEquals(Pairing.DIFFERENT, KeyCertCheck.pairing(ec.getPrivate(), rsa.keys().getPublic(), new byte[0]));
        assertEquals(Pairing.DIFFERENT, KeyCertCheck.pairing(rsa.keys().getPrivate(), ec.getPublic(), new byte[0]));
    }

    @Test
    void malformedEncodingsCarryNoPoint() throws Exception {
        KeyPair keys = TestPki.ecKeys("secp256r1");
        byte[] good = Base64.getMimeDecoder().decode(pkcs8WithPoint(keys).replaceAll("-----[A-Z ]+-----", ""));
        assertTrue(EmbeddedEcPoint.of(good, scalar(keys)).isPresent());
        assertTrue(EmbeddedEcPoint.of(good, scalar(keys).add(java.math.BigInteger.ONE)).isEmpty(), "another key's scalar");
        for (int length = 0; length < good.length; length++) {
            assertTrue(EmbeddedEcPoint.of(Arrays.copyOf(good, length), scalar(keys)).isEmpty(), "truncated to " + length);
        }
        assertTrue(EmbeddedEcPoint.of(new byte[] {0x30, (byte) 0x84, 0, 0, 0, 1, 0}, scalar(keys)).isEmpty());
    }

    private static KeyCertCheck.Result check(String cert, String key) {
        return KeyCertCheck.check(new KeyCertFiles.Contents(cert.getBytes(StandardCharsets.US_ASCII),
                key.getBytes(StandardCharsets.US_ASCII)), Instant.now());
    }

    /** The pair as the listener loads it: Vert.x's PEM reading, then the check's comparison. */
    private static Pairing pairing(String cert, String key) throws Exception {
        PemKeyCertOptions options = new PemKeyCertOptions().setCertValue(Buffer.buffer(cert)).setKeyValue(Buffer.buffer(key));
        Vertx noFileSystem = null;
        KeyStore store = options.loadKeyStore(noFileSystem);
        String alias = store.aliases().nextElement();
        PrivateKey privateKey = null;
        for (KeyManager manager : options.getKeyManagerFactory(noFileSystem).getKeyManagers()) {
            if (manager instanceof X509KeyManager x509) {
                privateKey = x509.getPrivateKey(alias);
            }
        }
        return KeyCertCheck.pairing(privateKey, store.getCertificateChain(alias)[0].getPublicKey(),
                key.getBytes(StandardCharsets.US_ASCII));
    }

    /** PKCS#8 with RFC 5915's publicKey field, as openssl genpkey and Go's x509.MarshalPKCS8PrivateKey write it. */
    private static String pkcs8WithPoint(KeyPair keys) throws Exception {
        PrivateKeyInfo plain = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
        ECPrivateKey withPoint = new ECPrivateKey(orderBits(keys), scalar(keys), point(keys), null);
        return pem("PRIVATE KEY", new PrivateKeyInfo(plain.getPrivateKeyAlgorithm(), withPoint).getEncoded());
    }

    private static int orderBits(KeyPair keys) {
        return ((java.security.interfaces.ECPrivateKey) keys.getPrivate()).getParams().getOrder().bitLength();
    }

    private static java.math.BigInteger scalar(KeyPair keys) {
        return ((java.security.interfaces.ECPrivateKey) keys.getPrivate()).getS();
    }

    private static DERBitString point(KeyPair keys) {
        return new DERBitString(SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()).getPublicKeyData().getBytes());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
