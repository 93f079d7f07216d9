package io.spiffeoidc.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders deploy/openshift with kustomize (kubectl's built-in copy) as `oc apply -k` would, and checks that
 * the namespace and the image the user sets reach every place they must. Skipped where no kubectl is
 * installed; the static checks in {@link OpenShiftManifestsTest} run everywhere.
 */
class KustomizeBuildTest {

    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    static boolean kubectl;

    @BeforeAll
    static void findKubectl() {
        try {
            Process process = new ProcessBuilder("kubectl", "version", "--client").redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            kubectl = process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            kubectl = false;
        }
    }

    static List<HasMetadata> build(Path dir) throws IOException, InterruptedException {
        assumeTrue(kubectl, "kubectl is not installed");
        Process process = new ProcessBuilder("kubectl", "kustomize", dir.toString()).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), "kustomize failed: " + err);
        return Arrays.stream(out.split("(?m)^---\\s*$"))
                .filter(doc -> !doc.isBlank())
                .map(doc -> (HasMetadata) SERIALIZATION.unmarshal(doc))
                .toList();
    }

    static <T> T only(List<HasMetadata> objects, String kind, Class<T> type) {
        List<HasMetadata> found = objects.stream().filter(o -> kind.equals(o.getKind())).toList();
        assertEquals(1, found.size(), kind);
        return type.cast(found.get(0));
    }

    @Test
    void theShippedKustomizationRenders() throws Exception {
        List<HasMetadata> objects = build(Path.of("deploy/openshift"));
        assertEquals(9, objects.size());
        GenericKubernetesResource kustomization = SERIALIZATION.unmarshal(
                Files.readString(Path.of("deploy/openshift/kustomization.yaml")), GenericKubernetesResource.class);
        String namespace = kustomization.get("namespace");
        Map<String, Object> image = kustomization.get("images", 0);
        for (HasMetadata object : objects) {
            assertEquals(namespace, object.getMetadata().getNamespace(), object.getKind());
        }
        Deployment deployment = only(objects, "Deployment", Deployment.class);
        assertEquals(image.get("newName") + ":" + image.get("newTag"),
                deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
    }

    @Test
    void anotherNamespaceReachesTheValuesThatEmbedIt(@TempDir Path copy) throws Exception {
        assumeTrue(kubectl, "kubectl is not installed");
        try (Stream<Path> files = Files.list(Path.of("deploy/openshift"))) {
            for (Path file : files.toList()) {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        Path kustomization = copy.resolve("kustomization.yaml");
        String text = Files.readString(kustomization);
        assertTrue(text.contains("\nnamespace: spiffe-oidc\n"));
        Files.writeString(kustomization, text.replace("\nnamespace: spiffe-oidc\n", "\nnamespace: identity-prod\n"));

        List<HasMetadata> objects = build(copy);
        GenericKubernetesResource spiffeId = only(objects, "ClusterSPIFFEID", GenericKubernetesResource.class);
        assertEquals("identity-prod", spiffeId.get("spec", "namespaceSelector", "matchLabels",
                "kubernetes.io/metadata.name"));
        for (HasMetadata object : objects) {
            assertEquals("identity-prod", object.getMetadata().getNamespace(), object.getKind());
        }
    }
}
