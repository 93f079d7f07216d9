package io.spiffeoidc.interop;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Key generator and JWT-SVID minter of the interoperability suite (interop/run.sh). Writes into --out:
 *
 * <ul>
 *   <li>private/*.jwk: the private signing keys (this run's temporary directory only);</li>
 *   <li>jwks-initial.json: the public keys the agent serves first (RS256, ES256, ES384, and RSA keys that
 *       declare PS256 and RS384);</li>
 *   <li>jwks-rotated.json: the same keys plus a new ES256 key (the old keys are kept, as SPIRE keeps
 *       the previous authority during its overlap period);</li>
 *   <li>cases.json: one token per case with the expected outcome and the phase it belongs to.</li>
 * </ul>
 *
 * With {@code --partner-issuer} and {@code --partner-trust-domain}, a second trust domain published by the
 * same service as its own issuer: jwks-partner.json holds its keys, cases-partner.json the cases its
 * relying parties verify. Both trust domains publish the kid {@value #SHARED_KID} with different keys, and
 * each issuer's cases include the other trust domain's tokens, which must be refused there.
 *
 * Usage: {@code InteropMint --out DIR --issuer URL --audience AUD [--trust-domain example.org]
 * [--partner-issuer URL --partner-trust-domain partner.example.net]}
 */
public final class InteropMint {

    public static final String INITIAL = "initial";
    public static final String ROTATION = "rotation";
    /** After one trust domain's agent data was broken: both issuers must still verify their own tokens. */
    public static final String FAULT = "fault";
    /** The kid both trust domains publish, each with a key of its own. */
    static final String SHARED_KID = "shared-kid";
    /** Cases of the partner issuer are named with this prefix, so one matrix holds both issuers. */
    static final String PARTNER_PREFIX = "partner/";

    private InteropMint() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        Path out = Path.of(required(options, "--out"));
        String issuer = required(options, "--issuer");
        String audience = required(options, "--audience");
        String trustDomain = options.getOrDefault("--trust-domain", "example.org");
        String subject = "spiffe://" + trustDomain + "/ns/default/sa/client";

        RSAKey rsa = new RSAKeyGenerator(2048).keyID("rsa-2048-a").algorithm(JWSAlgorithm.RS256).generate();
        ECKey p256 = new ECKeyGenerator(Curve.P_256).keyID("p256-a").algorithm(JWSAlgorithm.ES256).generate();
        ECKey p384 = new ECKeyGenerator(Curve.P_384).keyID("p384-a").algorithm(JWSAlgorithm.ES384).generate();
        // RSA keys that declare another algorithm of the JWT-SVID spec than the RS256 an RSA key defaults to.
        RSAKey rsaPs256 = new RSAKeyGenerator(2048).keyID("rsa-2048-ps256").algorithm(JWSAlgorithm.PS256).generate();
        RSAKey rsaRs384 = new RSAKeyGenerator(3072).keyID("rsa-3072-rs384").algorithm(JWSAlgorithm.RS384).generate();
        // Published only after the rotation.
        ECKey rotated = new ECKeyGenerator(Curve.P_256).keyID("p256-b").algorithm(JWSAlgorithm.ES256).generate();
        // Never published.
        ECKey unpublished = new ECKeyGenerator(Curve.P_256).keyID("p256-unpublished").algorithm(JWSAlgorithm.ES256)
                .generate();

        String partnerIssuer = options.get("--partner-issuer");
        String partnerTrustDomain = options.get("--partner-trust-domain");
        boolean partner = partnerIssuer != null && partnerTrustDomain != null;
        // The same kid in both trust domains, a different key behind it in each.
        ECKey shared = new ECKeyGenerator(Curve.P_256).keyID(SHARED_KID).algorithm(JWSAlgorithm.ES256).generate();
        ECKey partnerShared = new ECKeyGenerator(Curve.P_256).keyID(SHARED_KID).algorithm(JWSAlgorithm.ES256).generate();
        ECKey partnerP256 = new ECKeyGenerator(Curve.P_256).keyID("partner-p256-a").algorithm(JWSAlgorithm.ES256)
                .generate();

        Path privateDir = out.resolve("private");
        Files.createDirectories(privateDir);
        for (JWK key : List.of(rsa, p256, p384, rsaPs256, rsaRs384, rotated, unpublished)) {
            writePrivate(privateDir.resolve(key.getKeyID() + ".jwk"), key);
        }
        if (partner) {
            writePrivate(privateDir.resolve("partner-" + SHARED_KID + ".jwk"), partnerShared);
            writePrivate(privateDir.resolve(SHARED_KID + ".jwk"), shared);
            writePrivate(privateDir.resolve(partnerP256.getKeyID() + ".jwk"), partnerP256);
            write(out.resolve("jwks-initial.json"), publicJwks(rsa, p256, p384, rsaPs256, rsaRs384, shared));
            write(out.resolve("jwks-rotated.json"), publicJwks(rsa, p256, p384, rsaPs256, rsaRs384, shared, rotated));
            write(out.resolve("jwks-partner.json"), publicJwks(partnerP256, partnerShared));
        } else {
            write(out.resolve("jwks-initial.json"), publicJwks(rsa, p256, p384, rsaPs256, rsaRs384));
            write(out.resolve("jwks-rotated.json"), publicJwks(rsa, p256, p384, rsaPs256, rsaRs384, rotated));
        }

        Instant now = Instant.now();
        JWTClaimsSet valid = claims(issuer, subject, audience, now, now.plusSeconds(900));
        List<Map<String, Object>> cases = new ArrayList<>();
        cases.add(testCase("valid-rs256", INITIAL, true, "RS256 token, published key", sign(rsa, valid)));
        cases.add(testCase("valid-es256", INITIAL, true, "ES256 token, published key", sign(p256, valid)));
        cases.add(testCase("valid-es384", INITIAL, true, "ES384 token, published key", sign(p384, valid)));
        cases.add(testCase("valid-ps256", INITIAL, true, "PS256 token, published RSA key declaring alg PS256",
                sign(rsaPs256, valid)));
        cases.add(testCase("valid-rs384", INITIAL, true, "RS384 token, published RSA key declaring alg RS384",
                sign(rsaRs384, valid)));
        cases.add(testCase("unknown-kid", INITIAL, false, "signed by a key that was never published",
                sign(unpublished, valid)));
        cases.add(testCase("tampered-signature", INITIAL, false, "valid RS256 token with one signature bit flipped",
                tamper(sign(rsa, valid))));
        cases.add(testCase("wrong-issuer", INITIAL, false, "iss is the issuer with a trailing slash",
                sign(p256, claims(issuer + "/", subject, audience, now, now.plusSeconds(900)))));
        cases.add(testCase("wrong-audience", INITIAL, false, "aud names another relying party",
                sign(p256, claims(issuer, subject, "spiffe://" + trustDomain + "/someone-else", now,
                        now.plusSeconds(900)))));
        cases.add(testCase("expired", INITIAL, false, "exp ten minutes ago (beyond any default clock skew)",
                sign(rsa, claims(issuer, subject, audience, now.minusSeconds(1200), now.minusSeconds(600)))));
        cases.add(testCase("alg-none", INITIAL, false, "alg none with a published kid and no signature",
                unsecured(rsa.getKeyID(), valid)));
        cases.add(testCase("alg-hs256-public-key", INITIAL, false,
                "HS256 keyed with the published RSA key's bytes (algorithm confusion)",
                confused(rsa, valid)));
        cases.add(testCase("rotated-new-key", ROTATION, true,
                "ES256 token by the key added at rotation: needs a JWKS refetch on unknown kid",
                sign(rotated, valid)));
        cases.add(testCase("rotated-old-key", ROTATION, true, "RS256 token by a key kept across the rotation",
                sign(rsa, valid)));

        if (partner) {
            String partnerSubject = "spiffe://" + partnerTrustDomain + "/ns/default/sa/client";
            JWTClaimsSet partnerValid = claims(partnerIssuer, partnerSubject, audience, now, now.plusSeconds(900));
            String partnerToken = sign(partnerP256, partnerValid);
            cases.add(testCase("same-kid-own", INITIAL, true, "ES256 token by this trust domain's key " + SHARED_KID,
                    sign(shared, valid)));
            cases.add(testCase("same-kid-other-key", INITIAL, false,
                    "iss this issuer, kid " + SHARED_KID + ", signed by the partner trust domain's key of that kid",
                    sign(partnerShared, valid)));
            cases.add(testCase("cross-issuer", INITIAL, false,
                    "the partner trust domain's valid token (its iss, its key) presented here", partnerToken));
            cases.add(testCase("fault-own-key", FAULT, true,
                    "ES256 token by the key added at rotation, while the partner's agent data is broken",
                    sign(rotated, valid)));

            List<Map<String, Object>> partnerCases = new ArrayList<>();
            partnerCases.add(testCase("valid-es256", INITIAL, true, "ES256 token, this trust domain's key",
                    partnerToken));
            partnerCases.add(testCase("same-kid-own", INITIAL, true,
                    "ES256 token by this trust domain's key " + SHARED_KID, sign(partnerShared, partnerValid)));
            partnerCases.add(testCase("cross-issuer", INITIAL, false,
                    "the primary trust domain's valid token (its iss, its key) presented here", sign(p256, valid)));
            partnerCases.add(testCase("cross-issuer-own-iss", INITIAL, false,
                    "iss this issuer, signed by the primary trust domain's key " + p256.getKeyID(),
                    sign(p256, partnerValid)));
            partnerCases.add(testCase("same-kid-other-key", INITIAL, false,
                    "iss this issuer, kid " + SHARED_KID + ", signed by the primary trust domain's key of that kid",
                    sign(shared, partnerValid)));
            Map<String, Object> steady = testCase("steady-during-rotation", ROTATION, true,
                    "this trust domain's token after the primary's rotation: first attempt, no refetch needed",
                    partnerToken);
            steady.put("steady", true);
            partnerCases.add(steady);
            partnerCases.add(testCase("fault-last-good", FAULT, true,
                    "this trust domain's token while its agent data is garbage (last good keys kept)", partnerToken));
            partnerCases.add(testCase("fault-cross-issuer", FAULT, false,
                    "the primary trust domain's rotated-key token presented here", sign(rotated, valid)));
            for (Map<String, Object> c : partnerCases) {
                c.put("name", PARTNER_PREFIX + c.get("name"));
            }
            Map<String, Object> partnerDocument = caseDocument(partnerIssuer, audience, partnerSubject,
                    PARTNER_PREFIX + "discovery", partnerCases);
            write(out.resolve("cases-partner.json"), JSONObjectUtils.toJSONString(partnerDocument));
        }

        Map<String, Object> document = caseDocument(issuer, audience, subject, "discovery", cases);
        document.put("rotated_kid", rotated.getKeyID());
        write(out.resolve("cases.json"), JSONObjectUtils.toJSONString(document));
        System.out.println("minted " + cases.size() + " cases into " + out);
    }

    /** A case file: the issuer its relying parties discover, and the name of their discovery row. */
    private static Map<String, Object> caseDocument(String issuer, String audience, String subject,
            String discoveryCase, List<Map<String, Object>> cases) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("issuer", issuer);
        document.put("audience", audience);
        document.put("subject", subject);
        document.put("discovery_case", discoveryCase);
        document.put("cases", cases);
        return document;
    }

    private static void writePrivate(Path file, JWK key) throws IOException {
        Files.writeString(file, key.toJSONString());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    private static JWTClaimsSet claims(String issuer, String subject, String audience, Instant issued,
            Instant expires) {
        return new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(subject)
                .audience(List.of(audience))
                .issueTime(Date.from(issued))
                .expirationTime(Date.from(expires))
                .build();
    }

    private static String sign(JWK key, JWTClaimsSet claims) throws Exception {
        JWSAlgorithm alg = JWSAlgorithm.parse(key.getAlgorithm().getName());
        JWSSigner signer = key instanceof RSAKey rsaKey ? new RSASSASigner(rsaKey) : new ECDSASigner((ECKey) key);
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(alg).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static String tamper(String token) {
        String[] parts = token.split("\\.");
        byte[] signature = Base64URL.from(parts[2]).decode();
        signature[signature.length / 2] ^= 0x01;
        return parts[0] + "." + parts[1] + "." + Base64URL.encode(signature);
    }

    private static String unsecured(String kid, JWTClaimsSet claims) {
        String header = "{\"alg\":\"none\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}";
        return b64(header) + "." + b64(claims.toString()) + ".";
    }

    private static String confused(RSAKey rsa, JWTClaimsSet claims) throws Exception {
        // The HMAC secret is the public key as a verifier might have it at hand: its PEM encoding.
        String pem = "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(rsa.toPublicKey().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(rsa.getKeyID()).type(JOSEObjectType.JWT).build(),
                claims);
        jwt.sign(new MACSigner(pem.getBytes(StandardCharsets.US_ASCII)));
        return jwt.serialize();
    }

    private static String b64(String json) {
        return Base64URL.encode(json.getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static String publicJwks(JWK... keys) {
        List<JWK> published = new ArrayList<>();
        for (JWK key : keys) {
            published.add(key.toPublicJWK());
        }
        return new JWKSet(published).toString(true);
    }

    private static Map<String, Object> testCase(String name, String phase, boolean accept, String description,
            String token) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", name);
        c.put("phase", phase);
        c.put("expect", accept ? "accept" : "reject");
        c.put("description", description);
        c.put("token", token);
        return c;
    }

    private static void write(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content + "\n");
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got: " + String.join(" ", args));
            }
            options.put(args[i], args[++i]);
        }
        return options;
    }

    static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing " + name);
        }
        return value;
    }
}
