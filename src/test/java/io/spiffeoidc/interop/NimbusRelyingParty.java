package io.spiffeoidc.interop;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import java.util.HashSet;
import java.util.Set;

/**
 * Nimbus as a relying party: discovery with the Nimbus OAuth 2.0 / OpenID Connect SDK
 * ({@link OIDCProviderMetadata#resolve}, which parses the metadata strictly and requires its issuer to
 * equal the one asked for), then Nimbus JOSE+JWT's remote JWK source ({@link JWKSourceBuilder}: cache,
 * refetch on unknown kid, rate limit) and a {@link DefaultJWTProcessor} with an exact issuer, accepted
 * audience and required claims. Algorithms are those the metadata lists.
 *
 * <p>Two deviations from the builder's defaults, both stated in docs/interoperability.md: HTTP timeouts
 * of 5 s instead of 500 ms (a cold JVM on a busy two-core CI machine can miss 500 ms), and the rate limit
 * set by --refresh-limit-ms (default 30 s per two fetches) unless it is {@code default}.
 */
public final class NimbusRelyingParty {

    private static final int HTTP_TIMEOUT_MS = 5000;

    private NimbusRelyingParty() {
    }

    public static void main(String[] args) throws Exception {
        RelyingPartyHarness.run("java-nimbus", NimbusRelyingParty::discover, args);
    }

    static RelyingPartyHarness.TokenVerifier discover(String issuer, String audience, String refreshLimitMs)
            throws Exception {
        OIDCProviderMetadata metadata = OIDCProviderMetadata.resolve(new Issuer(issuer), HTTP_TIMEOUT_MS,
                HTTP_TIMEOUT_MS);
        JWKSourceBuilder<SecurityContext> builder = JWKSourceBuilder.create(metadata.getJWKSetURI().toURL(),
                new DefaultResourceRetriever(HTTP_TIMEOUT_MS, HTTP_TIMEOUT_MS,
                        JWKSourceBuilder.DEFAULT_HTTP_SIZE_LIMIT));
        if (!"default".equals(refreshLimitMs)) {
            builder = builder.rateLimited(Long.parseLong(refreshLimitMs));
        }
        JWKSource<SecurityContext> keys = builder.build();
        Set<JWSAlgorithm> algorithms = new HashSet<>(metadata.getIDTokenJWSAlgs());

        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, null));
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(
                Set.of(audience),
                new JWTClaimsSet.Builder().issuer(issuer).build(),
                Set.of("sub", "iat", "exp"),
                null));
        return token -> processor.process(token, null);
    }
}
