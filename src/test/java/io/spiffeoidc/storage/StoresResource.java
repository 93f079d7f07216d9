package io.spiffeoidc.storage;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.spiffeoidc.config.Target;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * S3Proxy and Azurite started before Quarkus, each with a public bucket or container, and two targets of
 * the primary issuer configured on them: "s3" and "azure". Tests read the stores through the public URLs
 * in the configuration keys {@value #S3_PUBLIC} and {@value #AZURE_PUBLIC}.
 */
public class StoresResource implements QuarkusTestResourceLifecycleManager {

    public static final String S3_PUBLIC = "test.stores.s3-public";
    public static final String AZURE_PUBLIC = "test.stores.azure-public";

    private S3ProxyFixture s3;
    private AzuriteFixture azure;

    @Override
    public Map<String, String> start() {
        try {
            Path work = Files.createDirectories(Path.of("target", "object-stores", "agent-" + System.nanoTime()).toAbsolutePath());
            s3 = new S3ProxyFixture(work);
            azure = new AzuriteFixture(work);
            Map<String, String> config = new HashMap<>();
            config.put("spiffe-oidc.allow-insecure-scheme", "true"); // the emulators' plain http endpoints
            Target.S3 s3Settings = (Target.S3) s3.settings();
            String t = "spiffe-oidc.target.\"s3\".";
            config.put(t + "type", "s3");
            config.put(t + "prefix", "td/");
            config.put(t + "s3.bucket", s3Settings.bucket());
            config.put(t + "s3.region", s3Settings.region());
            config.put(t + "s3.endpoint", s3Settings.endpoint().orElseThrow().toString());
            config.put(t + "s3.path-style", "true");
            config.put(t + "s3.acl", "public-read");
            config.put(t + "s3.access-key-id-file", s3Settings.keyFiles().orElseThrow().accessKeyId().toString());
            config.put(t + "s3.secret-access-key-file", s3Settings.keyFiles().orElseThrow().secretAccessKey().toString());
            Target.AzureBlob blob = (Target.AzureBlob) azure.settings();
            Target.SharedKey key = (Target.SharedKey) blob.credential();
            String a = "spiffe-oidc.target.\"azure\".";
            config.put(a + "type", "azure-blob");
            config.put(a + "prefix", "td/");
            config.put(a + "azure.endpoint", blob.endpoint().toString());
            config.put(a + "azure.container", blob.container());
            config.put(a + "azure.account-name", key.accountName());
            config.put(a + "azure.account-key-file", key.accountKeyFile().toString());
            config.put(S3_PUBLIC, s3.publicBase());
            config.put(AZURE_PUBLIC, azure.publicBase());
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (s3 != null) {
            s3.close();
        }
        if (azure != null) {
            azure.close();
        }
    }
}
