package io.spiffeoidc.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** spiffe-oidc.target."name".*: each static issuer's rules, one line per problem naming the property. */
class TargetRulesTest {

    private static final String[] AGENT = {"spiffe-oidc.workload-api.socket", "unix:///run/spire/agent.sock",
            "spiffe-oidc.trust-domain", "example.org", "spiffe-oidc.issuer", "https://issuer.example.org/td",
            "spiffe-oidc.jwks-uri", "https://issuer.example.org/td/keys"};

    @TempDir
    Path directory;

    private static ConfigProblems.Validation validate(String... keyValues) {
        return ConfigProblemsTest.validate(ConfigProblemsTest.concat(AGENT, keyValues));
    }

    private static List<String> problems(String... keyValues) {
        return validate(keyValues).problems();
    }

    @Test
    void anS3TargetOfThePrimaryIssuer() {
        ConfigProblems.Validation validation = validate("spiffe-oidc.target.\"aws\".type", "s3",
                "spiffe-oidc.target.\"aws\".prefix", "td/", "spiffe-oidc.target.\"aws\".s3.bucket", "oidc-bucket",
                "spiffe-oidc.target.\"aws\".s3.region", "eu-west-1");
        assertEquals(List.of(), validation.problems());
        Target target = validation.settings().orElseThrow().targets().get(0);
        assertEquals("aws", target.name());
        assertEquals("td/keys", target.jwksObject());
        assertEquals("td/.well-known/openid-configuration", target.discoveryObject());
        assertEquals("td/.spiffe-oidc-publisher-lease", target.leaseObject());
        assertEquals("https://issuer.example.org/td", target.issuerUrl());
        assertEquals(new Target.S3("oidc-bucket", "eu-west-1", Optional.empty(), false, Optional.empty(),
                Optional.empty()), target.store());
    }

    @Test
    void aStaticIssuerNeedsItsIssuerAndJwksUriConfigured() {
        List<String> problems = ConfigProblemsTest.validate(new String[] {"spiffe-oidc.workload-api.socket",
                "unix:///run/spire/agent.sock", "spiffe-oidc.trust-domain", "example.org", "spiffe-oidc.domains",
                "issuer.example.org", "spiffe-oidc.target.\"d\".type",
                "directory", "spiffe-oidc.target.\"d\".directory.path", "/tmp"}).problems();
        assertEquals(List.of("spiffe-oidc.target.\"d\".trust-domain: a static issuer needs spiffe-oidc.issuer and"
                + " spiffe-oidc.jwks-uri set: a store cannot derive them from a request"), problems);
    }

    @Test
    void objectNamesMustBeWhereTheUrlsPoint() {
        assertEquals(List.of("spiffe-oidc.target.\"d\".prefix: \"other/\" does not end the issuer's path (/td): relying"
                + " parties would read /td/.well-known/openid-configuration, not other/.well-known/openid-configuration",
                "spiffe-oidc.target.\"d\".jwks-key: the jwks_uri's path /td/keys does not end in other/keys, the object that"
                        + " would be written"),
                problems("spiffe-oidc.target.\"d\".type", "directory", "spiffe-oidc.target.\"d\".prefix", "other/",
                        "spiffe-oidc.target.\"d\".directory.path", "/tmp"));
        assertEquals(List.of("spiffe-oidc.target.\"d\".prefix: \"/td\" must be empty or a relative path ending in '/'"
                + " (letters, digits, . _ ~ - /)"),
                problems("spiffe-oidc.target.\"d\".type", "directory", "spiffe-oidc.target.\"d\".prefix", "/td",
                        "spiffe-oidc.target.\"d\".directory.path", "/tmp").subList(0, 1));
    }

    @Test
    void eachStoreNamesWhatItLacks() {
        assertEquals(List.of("spiffe-oidc.target.\"x\".type: required (s3, azure-blob or directory)"),
                problems("spiffe-oidc.target.\"x\".prefix", "td/"));
        assertEquals(List.of("spiffe-oidc.target.\"x\".type: \"gcs\" is not s3, azure-blob or directory"),
                problems("spiffe-oidc.target.\"x\".type", "gcs", "spiffe-oidc.target.\"x\".prefix", "td/"));
        assertEquals(List.of("spiffe-oidc.target.\"x\".s3.bucket: required with type s3"),
                problems("spiffe-oidc.target.\"x\".type", "s3", "spiffe-oidc.target.\"x\".prefix", "td/",
                        "spiffe-oidc.target.\"x\".s3.region", "us-east-1"));
        assertEquals(List.of("spiffe-oidc.target.\"x\".s3.endpoint: \"http://minio.local:9000\" must be an https URL"
                + " (http needs spiffe-oidc.allow-insecure-scheme=true)"),
                problems("spiffe-oidc.target.\"x\".type", "s3", "spiffe-oidc.target.\"x\".prefix", "td/",
                        "spiffe-oidc.target.\"x\".s3.bucket", "b-1", "spiffe-oidc.target.\"x\".s3.endpoint",
                        "http://minio.local:9000", "spiffe-oidc.target.\"x\".s3.region", "us-east-1"));
        assertEquals(List.of("spiffe-oidc.target.\"x\".s3.access-key-id-file: set together with"
                + " spiffe-oidc.target.\"x\".s3.secret-access-key-file, or neither (then the AWS SDK's credential chain applies)"),
                problems("spiffe-oidc.target.\"x\".type", "s3", "spiffe-oidc.target.\"x\".prefix", "td/",
                        "spiffe-oidc.target.\"x\".s3.bucket", "b-1", "spiffe-oidc.target.\"x\".s3.access-key-id-file", "/k",
                        "spiffe-oidc.target.\"x\".s3.region", "us-east-1"));
        assertEquals(List.of("spiffe-oidc.target.\"x\".azure.endpoint: required with type azure-blob"
                + " (https://<account>.blob.core.windows.net)",
                "spiffe-oidc.target.\"x\".azure.container: required with type azure-blob ($web for a static website)",
                "spiffe-oidc.target.\"x\".azure.account-key-file: set exactly one credential: account-name with"
                        + " account-key-file, sas-token-file, or workload-identity=true"),
                problems("spiffe-oidc.target.\"x\".type", "azure-blob", "spiffe-oidc.target.\"x\".prefix", "td/"));
        assertEquals(List.of("spiffe-oidc.target.\"x\".directory.path: /no/such/dir is not a writable directory"),
                problems("spiffe-oidc.target.\"x\".type", "directory", "spiffe-oidc.target.\"x\".prefix", "td/",
                        "spiffe-oidc.target.\"x\".directory.path", "/no/such/dir"));
    }

    @Test
    void anAzureStaticWebsiteWithASharedKeyFromASecret() throws IOException {
        Path key = Files.writeString(directory.resolve("account-key"), "a2V5\n");
        ConfigProblems.Validation validation = validate("spiffe-oidc.target.\"web\".type", "azure-blob",
                "spiffe-oidc.target.\"web\".prefix", "td/",
                "spiffe-oidc.target.\"web\".azure.endpoint", "https://acct.blob.core.windows.net",
                "spiffe-oidc.target.\"web\".azure.container", "$web",
                "spiffe-oidc.target.\"web\".azure.account-name", "acct",
                "spiffe-oidc.target.\"web\".azure.account-key-file", key.toString());
        assertEquals(List.of(), validation.problems());
        assertEquals(new Target.AzureBlob(URI.create("https://acct.blob.core.windows.net"), "$web",
                new Target.SharedKey("acct", key)), validation.settings().orElseThrow().targets().get(0).store());
    }

    @Test
    void aFederatedTrustDomainCanBePublishedAndAnUnknownOneIsNamed() {
        ConfigProblems.Validation validation = validate("spiffe-oidc.federated.\"partner.example\".issuer",
                "https://issuer.example.org/partner", "spiffe-oidc.federated.\"partner.example\".jwks-uri",
                "https://issuer.example.org/partner/keys", "spiffe-oidc.target.\"p\".type", "directory",
                "spiffe-oidc.target.\"p\".trust-domain", "spiffe://partner.example", "spiffe-oidc.target.\"p\".prefix",
                "partner/", "spiffe-oidc.target.\"p\".directory.path", "/tmp");
        assertEquals(List.of(), validation.problems());
        assertEquals("partner.example", validation.settings().orElseThrow().targets().get(0).issuer().trustDomain());
        List<String> problems = problems("spiffe-oidc.target.\"p\".type", "directory", "spiffe-oidc.target.\"p\".trust-domain",
                "other.example", "spiffe-oidc.target.\"p\".prefix", "td/", "spiffe-oidc.target.\"p\".directory.path", "/tmp");
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("spiffe-oidc.target.\"p\".trust-domain: \"other.example\" is not a published"),
                problems.get(0));
    }
}
