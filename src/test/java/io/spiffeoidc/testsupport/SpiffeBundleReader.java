package io.spiffeoidc.testsupport;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.spiffe.bundle.jwtbundle.JwtBundle;
import io.spiffe.bundle.x509bundle.X509Bundle;
import io.spiffe.spiffeid.TrustDomain;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Reads a served SPIFFE bundle with java-spiffe, a parser this service shares no code with. java-spiffe
 * has no reader for the combined document (its JwtBundle.parse takes every member of a JWK set as a JWT
 * authority and fails on x509-svid members, which have no kid), so the document is split by "use": the
 * x509-svid members' x5c certificates go to X509Bundle.parse, the jwt-svid members to JwtBundle.parse.
 * A member with any other use, or an x509-svid member without exactly one certificate, fails the read.
 */
public final class SpiffeBundleReader {

    public record Read(X509Bundle x509, JwtBundle jwt, Map<String, Object> root, List<Map<String, Object>> members) {
    }

    private SpiffeBundleReader() {
    }

    @SuppressWarnings("unchecked")
    public static Read read(String trustDomain, byte[] document) throws Exception {
        Map<String, Object> root = JSONObjectUtils.parse(new String(document, StandardCharsets.UTF_8));
        List<Map<String, Object>> members = (List<Map<String, Object>>) root.get("keys");
        ByteArrayOutputStream certificates = new ByteArrayOutputStream();
        List<Map<String, Object>> jwtMembers = new ArrayList<>();
        for (Map<String, Object> member : members) {
            switch (String.valueOf(member.get("use"))) {
                case "x509-svid" -> {
                    List<String> x5c = (List<String>) member.get("x5c");
                    if (x5c == null || x5c.size() != 1) {
                        throw new AssertionError("an x509-svid member needs exactly one x5c certificate: " + member);
                    }
                    certificates.writeBytes(Base64.getDecoder().decode(x5c.get(0)));
                }
                case "jwt-svid" -> jwtMembers.add(member);
                default -> throw new AssertionError("member with use " + member.get("use") + ": " + member);
            }
        }
        TrustDomain td = TrustDomain.parse(trustDomain);
        X509Bundle x509 = certificates.size() == 0 ? null : X509Bundle.parse(td, certificates.toByteArray());
        JwtBundle jwt = JwtBundle.parse(td, JSONObjectUtils.toJSONString(Map.of("keys", jwtMembers)).getBytes(StandardCharsets.UTF_8));
        return new Read(x509, jwt, root, members);
    }
}
