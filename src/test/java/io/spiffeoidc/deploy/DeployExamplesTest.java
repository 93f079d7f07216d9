package io.spiffeoidc.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.spiffeoidc.config.ProviderConfig;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The relying-party examples (deploy/examples) point at what the OpenShift deployment actually serves,
 * and every setting the deployment files mention exists in the service's configuration contract.
 */
class DeployExamplesTest {

    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    static final Path OPENSHIFT = Path.of("deploy/openshift");
    static final Path EXAMPLES = Path.of("deploy/examples");

    static <T> T load(Path file, Class<T> type) throws IOException {
        return SERIALIZATION.unmarshal(Files.readString(file), type);
    }

    static List<GenericKubernetesResource> documents(Path file) throws IOException {
        return Arrays.stream(Files.readString(file).split("(?m)^---\\s*$"))
                .filter(doc -> doc.lines().anyMatch(line -> line.startsWith("kind:")))
                .map(doc -> SERIALIZATION.unmarshal(doc, GenericKubernetesResource.class))
                .toList();
    }

    static String issuer() throws IOException {
        return load(OPENSHIFT.resolve("config.yaml"), ConfigMap.class).getData().get("SPIFFE_OIDC_ISSUER");
    }

    static String inClusterKeysUrl() throws IOException {
        String namespace = load(OPENSHIFT.resolve("kustomization.yaml"), GenericKubernetesResource.class)
                .get("namespace");
        String service = load(OPENSHIFT.resolve("service.yaml"), Service.class).getMetadata().getName();
        return "https://" + service + "." + namespace + ".svc/keys";
    }

    @Test
    @SuppressWarnings("unchecked")
    void istioVerifiesThePublicIssuerWithKeysReadInCluster() throws IOException {
        List<GenericKubernetesResource> docs = documents(EXAMPLES.resolve("istio-jwt-authentication.yaml"));
        Map<String, GenericKubernetesResource> byKind = docs.stream()
                .collect(Collectors.toMap(GenericKubernetesResource::getKind, d -> d));
        assertEquals(Set.of("RequestAuthentication", "AuthorizationPolicy"), byKind.keySet());
        GenericKubernetesResource authn = byKind.get("RequestAuthentication");
        GenericKubernetesResource authz = byKind.get("AuthorizationPolicy");
        assertEquals("security.istio.io/v1", authn.getApiVersion());
        assertEquals("security.istio.io/v1", authz.getApiVersion());

        List<Map<String, Object>> rules = authn.get("spec", "jwtRules");
        assertEquals(1, rules.size());
        assertEquals(issuer(), rules.get(0).get("issuer"));
        assertEquals(inClusterKeysUrl(), rules.get(0).get("jwksUri"));
        assertFalse(((List<?>) rules.get(0).get("audiences")).isEmpty(), "no audience: any token of the issuer passes");

        assertEquals(authn.<Object>get("spec", "selector"), authz.<Object>get("spec", "selector"),
                "both policies must select the same workload");
        List<Map<String, Object>> from = authz.get("spec", "rules", 0, "from");
        List<String> principals = (List<String>) ((Map<String, Object>) from.get(0).get("source"))
                .get("requestPrincipals");
        for (String principal : principals) {
            assertTrue(principal.startsWith(issuer() + "/spiffe://"), "requestPrincipals are <iss>/<sub>: " + principal);
        }
    }

    @Test
    void collectorAuthenticatesOtlpAgainstTheExactIssuer() throws IOException {
        GenericKubernetesResource collector = documents(EXAMPLES.resolve("otel-collector-oidc.yaml")).get(0);
        assertEquals("OpenTelemetryCollector", collector.getKind());
        Map<String, Object> oidc = collector.get("spec", "config", "extensions", "oidc");
        assertEquals(issuer(), oidc.get("issuer_url"), "go-oidc compares the discovered issuer with issuer_url");
        assertFalse(String.valueOf(oidc.get("audience")).isBlank());
        String caPath = (String) oidc.get("issuer_ca_path");
        List<Map<String, Object>> mounts = collector.get("spec", "volumeMounts");
        assertTrue(mounts.stream().anyMatch(m -> caPath.startsWith(m.get("mountPath") + "/")),
                "issuer_ca_path must lie in a mounted volume");
        for (String protocol : List.of("grpc", "http")) {
            assertEquals("oidc", collector.get("spec", "config", "receivers", "otlp", "protocols", protocol, "auth",
                    "authenticator"), protocol + " receiver is unauthenticated");
        }
        assertTrue(collector.<List<String>>get("spec", "config", "service", "extensions").contains("oidc"));
    }

    /** Every SPIFFE_OIDC_* name in the deployment files is a setting of {@link ProviderConfig}. */
    @Test
    void everySettingMentionedExists() throws IOException {
        Set<String> known = Arrays.stream(ProviderConfig.class.getDeclaredMethods())
                .filter(m -> m.getParameterCount() == 0 && !m.getReturnType().isInterface())
                .map(Method::getName)
                .map(name -> "SPIFFE_OIDC_" + name.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase())
                .collect(Collectors.toSet());
        assertTrue(known.contains("SPIFFE_OIDC_CACHE_MAX_AGE"), known.toString());

        Set<String> unknown = new TreeSet<>();
        Pattern name = Pattern.compile("SPIFFE_OIDC_[A-Z_]*[A-Z]");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(Path.of("deploy"))) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        for (Path file : files) {
            Matcher matcher = name.matcher(Files.readString(file));
            while (matcher.find()) {
                if (!known.contains(matcher.group())) {
                    unknown.add(file + ": " + matcher.group());
                }
            }
        }
        assertTrue(unknown.isEmpty(), "not settings of the service: " + unknown);
    }
}
