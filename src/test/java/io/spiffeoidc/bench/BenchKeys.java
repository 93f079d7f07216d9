package io.spiffeoidc.bench;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes the key material for one benchmark size: {@code bundle.json} (public, for the service) and
 * {@code private-jwks.json} (the same keys with private parts, for the peer OIDC server, which derives
 * its own public JWKS from them). Arguments: output-dir key-count. Key 0 is RSA (every OIDC server needs
 * RS256); the rest alternate RSA and P-256, as a trust domain mid-rotation would.
 */
public final class BenchKeys {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        Files.createDirectories(dir);
        List<Map<String, Object>> publicKeys = new ArrayList<>();
        List<Map<String, Object>> privateKeys = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String kid = String.format("bench-%03d", i);
            JWK key = i % 2 == 0 ? new RSAKeyGenerator(2048).keyID(kid).generate()
                    : new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
            publicKeys.add(key.toPublicJWK().toJSONObject());
            privateKeys.add(key.toJSONObject());
        }
        Files.writeString(dir.resolve("bundle.json"), JSONObjectUtils.toJSONString(Map.of("keys", publicKeys)));
        Files.writeString(dir.resolve("private-jwks.json"), JSONObjectUtils.toJSONString(Map.of("keys", privateKeys)));
    }

    private BenchKeys() {
    }
}
