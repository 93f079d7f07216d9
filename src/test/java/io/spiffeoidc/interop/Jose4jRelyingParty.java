package io.spiffeoidc.interop;

import java.util.List;
import java.util.Map;
import org.jose4j.http.Get;
import org.jose4j.http.SimpleResponse;
import org.jose4j.json.JsonUtil;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwk.HttpsJwks;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.HttpsJwksVerificationKeyResolver;

/**
 * jose4j as a relying party: discovery document fetched with jose4j's own HTTP client, exact issuer
 * comparison, algorithm allow-list taken from id_token_signing_alg_values_supported (as go-oidc does),
 * then HttpsJwks + HttpsJwksVerificationKeyResolver, which refreshes the JWKS when no key matches the
 * token's kid (unless it refreshed within its refresh reprieve threshold, 300 ms by default). HttpsJwks
 * otherwise caches for the response's Cache-Control max-age. TLS trust comes from javax.net.ssl.trustStore.
 */
public final class Jose4jRelyingParty {

    private Jose4jRelyingParty() {
    }

    public static void main(String[] args) throws Exception {
        RelyingPartyHarness.run("java-jose4j", Jose4jRelyingParty::discover, args);
    }

    @SuppressWarnings("unchecked")
    static RelyingPartyHarness.TokenVerifier discover(String issuer, String audience, String refreshLimitMs)
            throws Exception {
        SimpleResponse response = new Get().get(issuer + "/.well-known/openid-configuration");
        if (response.getStatusCode() != 200) {
            throw new IllegalStateException("discovery answered " + response.getStatusCode());
        }
        Map<String, Object> metadata = JsonUtil.parseJson(response.getBody());
        if (!issuer.equals(metadata.get("issuer"))) {
            throw new IllegalStateException("discovery issuer " + metadata.get("issuer") + " is not " + issuer);
        }
        String jwksUri = (String) metadata.get("jwks_uri");
        List<String> algorithms = (List<String>) metadata.get("id_token_signing_alg_values_supported");
        HttpsJwks jwks = new HttpsJwks(jwksUri);
        JwtConsumer consumer = new JwtConsumerBuilder()
                .setRequireExpirationTime()
                .setRequireIssuedAt()
                .setRequireSubject()
                .setExpectedIssuer(true, issuer)
                .setExpectedAudience(audience)
                .setJwsAlgorithmConstraints(new AlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT,
                        algorithms.toArray(String[]::new)))
                .setVerificationKeyResolver(new HttpsJwksVerificationKeyResolver(jwks))
                .build();
        return consumer::processToClaims;
    }
}
