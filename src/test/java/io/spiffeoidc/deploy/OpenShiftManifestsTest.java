package io.spiffeoidc.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.openshift.api.model.Route;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenShift deployment (deploy/openshift) as a reviewer would read it: every file loads into the
 * typed fabric8 models without unknown fields, and the pieces are wired to each other and to the
 * application's own configuration. No cluster is involved; what only a cluster can show is listed in
 * the deployment notes.
 */
class OpenShiftManifestsTest {

    static final Path DIR = Path.of("deploy/openshift");
    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    /** Kinds whose model this test compiles against: loaded typed, checked for unknown fields. */
    static final Map<String, Class<? extends HasMetadata>> TYPED = Map.of(
            "ServiceAccount", ServiceAccount.class,
            "ConfigMap", ConfigMap.class,
            "Deployment", Deployment.class,
            "PodDisruptionBudget", PodDisruptionBudget.class,
            "Service", Service.class,
            "Route", Route.class,
            "NetworkPolicy", NetworkPolicy.class);

    /** Custom resources without a model here: loaded as GenericKubernetesResource. */
    static final Map<String, String> CUSTOM = Map.of(
            "ClusterSPIFFEID", "spire.spiffe.io/v1alpha1",
            "ServiceMonitor", "monitoring.coreos.com/v1");

    static final Set<String> RESTRICTED_V2_VOLUME_TYPES = Set.of(
            "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected",
            "secret");

    static GenericKubernetesResource kustomization;
    static Map<String, HasMetadata> byFile;
    static AppProperties app;

    static Deployment deployment;
    static Container container;
    static Service service;
    static ConfigMap config;
    static Route route;
    static ServiceAccount serviceAccount;
    static PodDisruptionBudget pdb;
    static NetworkPolicy networkPolicy;
    static GenericKubernetesResource clusterSpiffeId;
    static GenericKubernetesResource serviceMonitor;

    @BeforeAll
    static void load() throws IOException {
        app = AppProperties.load();
        kustomization = SERIALIZATION.unmarshal(Files.readString(DIR.resolve("kustomization.yaml")),
                GenericKubernetesResource.class);
        byFile = new LinkedHashMap<>();
        for (String file : resources()) {
            try (InputStream in = Files.newInputStream(DIR.resolve(file))) {
                Object loaded = SERIALIZATION.unmarshal(in);
                assertInstanceOf(HasMetadata.class, loaded, file + " is not a single Kubernetes object");
                byFile.put(file, (HasMetadata) loaded);
            }
        }
        deployment = only(Deployment.class);
        container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        service = only(Service.class);
        config = only(ConfigMap.class);
        route = only(Route.class);
        serviceAccount = only(ServiceAccount.class);
        pdb = only(PodDisruptionBudget.class);
        networkPolicy = only(NetworkPolicy.class);
        clusterSpiffeId = custom("ClusterSPIFFEID");
        serviceMonitor = custom("ServiceMonitor");
    }

    // ---- the kustomization ----------------------------------------------------------------------

    @Test
    void kustomizationListsEveryFileOfTheFolderAndNothingElse() throws IOException {
        Set<String> present;
        try (Stream<Path> files = Files.list(DIR)) {
            present = files.map(p -> p.getFileName().toString())
                    .filter(name -> !name.equals("kustomization.yaml"))
                    .collect(Collectors.toSet());
        }
        List<String> listed = resources();
        assertEquals(new HashSet<>(listed).size(), listed.size(), "a resource is listed twice: " + listed);
        assertEquals(present, new HashSet<>(listed), "files in deploy/openshift vs. kustomization resources");
    }

    @Test
    void theUserSetsOnlyNamespaceAndImageInTheKustomization() {
        assertEquals("kustomize.config.k8s.io/v1beta1", kustomization.getApiVersion());
        assertEquals("Kustomization", kustomization.getKind());
        assertTrue(namespace().matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?"), "namespace: " + namespace());
        List<Map<String, Object>> images = kustomization.get("images");
        assertEquals(1, images.size());
        assertEquals(container.getImage(), images.get(0).get("name"),
                "the kustomization's image entry must name the container's image");
        assertNotNull(images.get(0).get("newName"));
        for (HasMetadata resource : byFile.values()) {
            assertNull(resource.getMetadata().getNamespace(),
                    resource.getKind() + " sets a namespace; the kustomization's applies to all");
        }
    }

    @Test
    void everyTypedManifestLoadsWithoutUnknownFields() {
        for (Map.Entry<String, HasMetadata> entry : byFile.entrySet()) {
            HasMetadata resource = entry.getValue();
            if (CUSTOM.containsKey(resource.getKind())) {
                assertEquals(CUSTOM.get(resource.getKind()), resource.getApiVersion(), entry.getKey());
                continue;
            }
            Class<? extends HasMetadata> type = TYPED.get(resource.getKind());
            assertNotNull(type, entry.getKey() + ": unexpected kind " + resource.getKind());
            assertInstanceOf(type, resource, entry.getKey());
            List<String> unknown = new ArrayList<>();
            unknownFields(resource, resource.getKind(), unknown, new IdentityHashMap<>());
            assertTrue(unknown.isEmpty(), entry.getKey() + " has fields the model does not know: " + unknown);
        }
        assertEquals(TYPED.size() + CUSTOM.size(), byFile.size(), "one object of each kind: " + byFile.keySet());
    }

    @Test
    void everyObjectCarriesTheRecommendedLabelsAndOneName() {
        String name = deployment.getMetadata().getName();
        for (HasMetadata resource : byFile.values()) {
            Map<String, String> labels = resource.getMetadata().getLabels();
            assertNotNull(labels, resource.getKind());
            for (String key : List.of("app.kubernetes.io/name", "app.kubernetes.io/instance",
                    "app.kubernetes.io/component", "app.kubernetes.io/part-of")) {
                assertNotNull(labels.get(key), resource.getKind() + " lacks " + key);
            }
            assertEquals(name, resource.getMetadata().getName(), resource.getKind());
        }
    }

    // ---- selectors ------------------------------------------------------------------------------

    @Test
    void everySelectorMatchesTheDeploymentsPods() {
        Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        assertSelects(deployment.getSpec().getSelector(), podLabels, "Deployment selector");
        assertSelects(service.getSpec().getSelector(), podLabels, "Service selector");
        assertSelects(pdb.getSpec().getSelector(), podLabels, "PodDisruptionBudget selector");
        assertSelects(networkPolicy.getSpec().getPodSelector(), podLabels, "NetworkPolicy podSelector");
        assertSelects(clusterSpiffeId.<Map<String, String>>get("spec", "podSelector", "matchLabels"), podLabels,
                "ClusterSPIFFEID podSelector");
        for (TopologySpreadConstraint spread : deployment.getSpec().getTemplate().getSpec()
                .getTopologySpreadConstraints()) {
            assertSelects(spread.getLabelSelector(), podLabels, "topology spread " + spread.getTopologyKey());
        }
        assertSelects(serviceMonitor.<Map<String, String>>get("spec", "selector", "matchLabels"),
                service.getMetadata().getLabels(), "ServiceMonitor selector (of the Service)");
    }

    // ---- availability ---------------------------------------------------------------------------

    @Test
    void twoReplicasSpreadOverNodesAndOneSurvivesDisruption() {
        assertEquals(2, deployment.getSpec().getReplicas());
        assertEquals(new IntOrString(0), deployment.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable());
        assertTrue(deployment.getSpec().getTemplate().getSpec().getTopologySpreadConstraints().stream()
                .anyMatch(spread -> "kubernetes.io/hostname".equals(spread.getTopologyKey())
                        && "DoNotSchedule".equals(spread.getWhenUnsatisfiable())
                        && spread.getMaxSkew() == 1),
                "replicas must be spread over nodes");
        assertEquals(new IntOrString(1), pdb.getSpec().getMinAvailable());
        assertNull(pdb.getSpec().getMaxUnavailable());
        assertTrue(pdb.getSpec().getMinAvailable().getIntVal() < deployment.getSpec().getReplicas(),
                "a PDB as large as the replica count blocks every drain");
    }

    // ---- ports, probes, metrics -----------------------------------------------------------------

    @Test
    void containerPortsAreTheApplicationsPorts() {
        assertEquals(app.httpsPort(), containerPort("https").getContainerPort());
        assertEquals(app.managementPort(), containerPort("management").getContainerPort());
        assertEquals(2, container.getPorts().size());
    }

    @Test
    void probesHitTheManagementInterfacesHealthGroups() {
        assertProbe(container.getReadinessProbe(), "ready");
        assertProbe(container.getLivenessProbe(), "live");
        assertProbe(container.getStartupProbe(), "started");
    }

    @Test
    void serviceExposesHttpsOn443AndMetricsOnTheManagementPort() {
        ServicePort https = servicePort("https");
        assertEquals(443, https.getPort());
        assertEquals(app.httpsPort(), resolve(https.getTargetPort()));
        ServicePort metrics = servicePort("metrics");
        assertEquals(app.managementPort(), resolve(metrics.getTargetPort()));
        assertEquals(2, service.getSpec().getPorts().size());
    }

    @Test
    void serviceMonitorScrapesTheMetricsPortAtThePrometheusPath() {
        List<Map<String, Object>> endpoints = serviceMonitor.get("spec", "endpoints");
        assertEquals(1, endpoints.size());
        Map<String, Object> endpoint = endpoints.get(0);
        assertEquals(app.managementPort(), resolve(servicePort((String) endpoint.get("port")).getTargetPort()));
        assertEquals(app.metricsPath(), endpoint.get("path"));
        assertEquals(managementScheme().toLowerCase(), endpoint.get("scheme"));
    }

    @Test
    void theKustomizationRewritesEveryNamespaceInsideAValue() {
        Map<String, Map<String, Object>> targets = new LinkedHashMap<>();
        List<Map<String, Object>> replacements = kustomization.get("replacements");
        assertNotNull(replacements, "no replacement carries the namespace into values");
        for (Map<String, Object> replacement : replacements) {
            assertEquals(Map.of("kind", "ServiceAccount", "name", serviceAccount.getMetadata().getName(),
                    "fieldPath", "metadata.namespace"), replacement.get("source"));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> list = (List<Map<String, Object>>) replacement.get("targets");
            for (Map<String, Object> target : list) {
                @SuppressWarnings("unchecked")
                Map<String, Object> select = (Map<String, Object>) target.get("select");
                targets.put(select.get("kind") + " " + target.get("fieldPaths"), target);
                assertEquals(deployment.getMetadata().getName(), select.get("name"));
            }
        }
        Map<String, Object> spiffeId = targets.get(
                "ClusterSPIFFEID [spec.namespaceSelector.matchLabels.[kubernetes.io/metadata.name]]");
        assertNotNull(spiffeId, targets.keySet().toString());
        assertEquals("spire.spiffe.io", ((Map<?, ?>) spiffeId.get("select")).get("group"));
        assertEquals(1, targets.size(), targets.keySet().toString());
    }

    // ---- TLS ------------------------------------------------------------------------------------

    @Test
    void theServingCertificateSecretIsTheOneMountedAndConfigured() {
        String secret = service.getMetadata().getAnnotations()
                .get("service.beta.openshift.io/serving-cert-secret-name");
        assertNotNull(secret, "the Service must ask the service CA for a serving certificate");
        Volume volume = volumes().stream()
                .filter(v -> v.getSecret() != null && secret.equals(v.getSecret().getSecretName()))
                .findFirst().orElseThrow(() -> new AssertionError("secret " + secret + " is not a volume"));
        VolumeMount mount = mount(volume.getName());
        assertTrue(mount.getReadOnly());
        // The files the public listener reads (the application's production paths, or the Deployment's
        // override) are the secret's two keys, in this mount.
        assertEquals(mount.getMountPath() + "/tls.crt", httpsPemFile("cert"));
        assertEquals(mount.getMountPath() + "/tls.key", httpsPemFile("key"));
    }

    /** The public listener's PEM file: the Deployment's environment override, else the application's. */
    static String httpsPemFile(String which) {
        String name = AppProperties.tlsPrefix(app.httpsTlsConfigurationName()) + "key-store.pem.0." + which;
        String envName = name.toUpperCase().replaceAll("[^A-Z0-9]", "_");
        return container.getEnv().stream().filter(e -> e.getName().equals(envName)).map(EnvVar::getValue)
                .findFirst().orElseGet(() -> app.httpsPemFile(which));
    }

    @Test
    void routeReencryptsToTheServicesHttpsPortAndNeverRedirects() {
        assertEquals("Service", route.getSpec().getTo().getKind());
        assertEquals(service.getMetadata().getName(), route.getSpec().getTo().getName());
        String portName = route.getSpec().getPort().getTargetPort().getStrVal();
        assertEquals(app.httpsPort(), resolve(servicePort(portName).getTargetPort()));
        assertEquals("reencrypt", route.getSpec().getTls().getTermination());
        // The service CA is trusted by the router only while no destination CA is given.
        assertNull(route.getSpec().getTls().getDestinationCACertificate());
        assertEquals("None", route.getSpec().getTls().getInsecureEdgeTerminationPolicy());
    }

    // ---- SPIFFE ---------------------------------------------------------------------------------

    @Test
    void theWorkloadApiSocketComesFromTheSpiffeCsiDriver() {
        Volume volume = volumes().stream().filter(v -> v.getCsi() != null).findFirst()
                .orElseThrow(() -> new AssertionError("no CSI volume"));
        assertEquals("csi.spiffe.io", volume.getCsi().getDriver());
        assertTrue(volume.getCsi().getReadOnly(), "the CSI driver only accepts read-only volumes");
        VolumeMount mount = mount(volume.getName());
        assertTrue(mount.getReadOnly());
        String socket = env("SPIFFE_ENDPOINT_SOCKET");
        assertTrue(socket.startsWith("unix:///"), socket);
        Path socketPath = Path.of(socket.substring("unix://".length()));
        assertEquals(Path.of(mount.getMountPath()), socketPath.getParent(), "the socket lies in the CSI mount");
        assertEquals("spire-agent.sock", socketPath.getFileName().toString());
        assertEquals("workload-api", env("SPIFFE_OIDC_SOURCE"));
    }

    @Test
    void clusterSpiffeIdRegistersThePodsInTheDeploymentsNamespace() {
        assertEquals("zero-trust-workload-identity-manager-spire", clusterSpiffeId.get("spec", "className"));
        String template = clusterSpiffeId.get("spec", "spiffeIDTemplate");
        assertEquals("spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}",
                template);
        String selected = clusterSpiffeId.get("spec", "namespaceSelector", "matchLabels",
                "kubernetes.io/metadata.name");
        assertEquals(namespace(), selected, "the literal must agree with the kustomization's namespace");
        // The kustomization keeps it so when the namespace changes (theKustomizationRewrites... below).
    }

    // ---- configuration --------------------------------------------------------------------------

    @Test
    void configurationComesFromTheConfigMapAndNamesEveryHostTheServiceIsReachedBy() {
        assertTrue(container.getEnvFrom().stream().anyMatch(source -> source.getConfigMapRef() != null
                && config.getMetadata().getName().equals(source.getConfigMapRef().getName())),
                "envFrom must read the ConfigMap");
        for (String key : List.of("SPIFFE_OIDC_TRUST_DOMAIN", "SPIFFE_OIDC_ISSUER", "SPIFFE_OIDC_DOMAINS")) {
            assertFalse(config.getData().getOrDefault(key, "").isBlank(), key + " missing from the ConfigMap");
        }
        for (String key : config.getData().keySet()) {
            assertTrue(key.startsWith("SPIFFE_OIDC_"), "not a spiffe-oidc setting: " + key);
        }
        String routeHost = route.getSpec().getHost();
        URI issuer = URI.create(config.getData().get("SPIFFE_OIDC_ISSUER"));
        assertEquals("https", issuer.getScheme());
        assertEquals(routeHost, issuer.getHost(), "the issuer is served through the Route");
        assertNull(issuer.getRawQuery());
        assertFalse(issuer.toString().endsWith("/"), "issuers compare byte for byte; no trailing slash");

        List<String> domains = Arrays.asList(effectiveEnv(namespace()).get("SPIFFE_OIDC_DOMAINS").split(","));
        String svc = service.getMetadata().getName();
        for (String host : List.of(routeHost, svc, svc + "." + namespace() + ".svc",
                svc + "." + namespace() + ".svc.cluster.local")) {
            assertTrue(domains.contains(host), host + " is not among the domains " + domains);
        }
        assertFalse(domains.stream().anyMatch(d -> d.contains("$(")), "unexpanded reference in " + domains);
    }

    @Test
    void domainsFollowTheNamespaceTheKustomizationSets() {
        String svc = service.getMetadata().getName();
        List<String> domains = Arrays.asList(effectiveEnv("another-project").get("SPIFFE_OIDC_DOMAINS").split(","));
        assertTrue(domains.contains(svc + ".another-project.svc"), domains.toString());
        assertFalse(domains.contains(svc + "." + namespace() + ".svc"), domains.toString());
    }

    // ---- security -------------------------------------------------------------------------------

    @Test
    void podPassesRestrictedV2() {
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        PodSecurityContext podContext = pod.getSecurityContext();
        assertTrue(podContext.getRunAsNonRoot());
        assertEquals("RuntimeDefault", podContext.getSeccompProfile().getType());
        // restricted-v2 assigns the UID, the fsGroup and the SELinux level from the project's ranges.
        assertNull(podContext.getRunAsUser());
        assertNull(podContext.getFsGroup());
        assertNull(podContext.getSeLinuxOptions());
        assertFalse(Boolean.TRUE.equals(pod.getHostNetwork()));
        assertFalse(Boolean.TRUE.equals(pod.getHostPID()));
        assertFalse(Boolean.TRUE.equals(pod.getHostIPC()));
        for (Volume volume : pod.getVolumes()) {
            Set<String> types = volumeTypes(volume);
            assertEquals(1, types.size(), volume.getName());
            assertTrue(RESTRICTED_V2_VOLUME_TYPES.containsAll(types), volume.getName() + ": " + types);
        }
        for (Container each : pod.getContainers()) {
            SecurityContext context = each.getSecurityContext();
            assertFalse(context.getAllowPrivilegeEscalation());
            assertFalse(Boolean.TRUE.equals(context.getPrivileged()));
            assertEquals(List.of("ALL"), context.getCapabilities().getDrop());
            assertTrue(context.getCapabilities().getAdd() == null || context.getCapabilities().getAdd().isEmpty());
            assertTrue(context.getReadOnlyRootFilesystem());
            assertNull(context.getRunAsUser());
            for (ContainerPort port : each.getPorts()) {
                assertNull(port.getHostPort(), "host ports are refused by restricted-v2");
            }
        }
        assertTrue(pod.getInitContainers() == null || pod.getInitContainers().isEmpty(), "unchecked init containers");
    }

    @Test
    void readOnlyRootHasAWritableTmp() {
        VolumeMount tmp = container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/tmp"))
                .findFirst().orElseThrow(() -> new AssertionError("/tmp is not mounted"));
        Volume volume = volumes().stream().filter(v -> v.getName().equals(tmp.getName())).findFirst().orElseThrow();
        assertNotNull(volume.getEmptyDir(), "/tmp must be an emptyDir");
        assertFalse(Boolean.TRUE.equals(tmp.getReadOnly()));
    }

    @Test
    void noKubernetesApiTokenIsMounted() {
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        assertEquals(serviceAccount.getMetadata().getName(), pod.getServiceAccountName());
        assertFalse(pod.getAutomountServiceAccountToken());
        assertFalse(serviceAccount.getAutomountServiceAccountToken());
    }

    @Test
    void resourcesAreRequestedAndBounded() {
        var resources = container.getResources();
        assertEquals(new Quantity("256Mi"), resources.getRequests().get("memory"));
        assertEquals(new Quantity("512Mi"), resources.getLimits().get("memory"));
        assertNotNull(resources.getRequests().get("cpu"));
    }

    /**
     * The pod runs the image's launcher as it is: no command or args in place of its entrypoint, and no
     * JVM settings or event-loop count in the environment, which bin/jvm.options and bin/start define
     * once for the image, the benchmark and a workstation alike.
     */
    @Test
    void thePodRunsTheImagesLauncherWithItsJvmSettings() throws IOException {
        assertTrue(container.getCommand() == null || container.getCommand().isEmpty(), "command: " + container.getCommand());
        assertTrue(container.getArgs() == null || container.getArgs().isEmpty(), "args: " + container.getArgs());
        List<String> names = new ArrayList<>(container.getEnv().stream().map(EnvVar::getName).toList());
        names.addAll(config.getData().keySet());
        for (String name : names) {
            assertFalse(name.matches("JAVA_\\w*|JDK_JAVA_OPTIONS|QUARKUS_VERTX_EVENT_LOOPS_POOL_SIZE"),
                    name + " would override the launcher's settings (bin/jvm.options, bin/start)");
        }
    }

    /** The benchmark emulates this Deployment's memory limit, so its memory and latency are the pod's. */
    @Test
    void theBenchmarkEmulatesTheDeploymentsMemoryLimit() throws IOException {
        Quantity limit = container.getResources().getLimits().get("memory");
        Matcher emulated = Pattern.compile("(?m)^MEMORY_LIMIT=(\\d+)m\\b").matcher(Files.readString(Path.of("bench/run.sh")));
        assertTrue(emulated.find(), "bench/run.sh sets no MEMORY_LIMIT=<n>m");
        assertEquals(limit.getNumericalAmount().longValueExact(), Long.parseLong(emulated.group(1)) * 1024 * 1024,
                "bench/run.sh's MEMORY_LIMIT against the Deployment's " + limit);
        assertNotNull(JvmOptions.value("MaxRAMPercentage"), "bin/jvm.options sizes the heap as a share of the limit");
    }

    @Test
    void networkPolicyAdmitsTheRouterToHttpsAndOnlyMonitoringToTheManagementPort() {
        assertEquals(List.of("Ingress"), networkPolicy.getSpec().getPolicyTypes());
        Map<Integer, List<NetworkPolicyPeer>> peersByPort = new LinkedHashMap<>();
        for (NetworkPolicyIngressRule rule : networkPolicy.getSpec().getIngress()) {
            assertFalse(rule.getPorts().isEmpty(), "a rule without ports opens every port");
            assertFalse(rule.getFrom().isEmpty(), "a rule without peers admits everyone");
            rule.getPorts().forEach(port -> peersByPort.computeIfAbsent(resolve(port.getPort()),
                    p -> new ArrayList<>()).addAll(rule.getFrom()));
        }
        assertEquals(Set.of(app.httpsPort(), app.managementPort()), peersByPort.keySet());

        List<NetworkPolicyPeer> https = peersByPort.get(app.httpsPort());
        assertTrue(https.stream().anyMatch(peer -> namespaceLabel(peer, "policy-group.network.openshift.io/ingress")),
                "the router must reach the pods");

        List<NetworkPolicyPeer> management = peersByPort.get(app.managementPort());
        Set<String> monitoring = new HashSet<>();
        for (NetworkPolicyPeer peer : management) {
            assertNull(peer.getIpBlock());
            assertNull(peer.getPodSelector());
            Map<String, String> labels = peer.getNamespaceSelector().getMatchLabels();
            assertNotNull(labels, "the management port must not be open to every namespace");
            monitoring.add(labels.get("kubernetes.io/metadata.name"));
        }
        assertEquals(Set.of("openshift-monitoring", "openshift-user-workload-monitoring"), monitoring);
    }

    // ---- helpers --------------------------------------------------------------------------------

    static List<String> resources() {
        List<String> resources = kustomization.get("resources");
        assertNotNull(resources, "kustomization.yaml has no resources");
        return resources;
    }

    static String namespace() {
        return kustomization.get("namespace");
    }

    static <T extends HasMetadata> T only(Class<T> type) {
        List<T> found = byFile.values().stream().filter(type::isInstance).map(type::cast).toList();
        assertEquals(1, found.size(), "expected one " + type.getSimpleName());
        return found.get(0);
    }

    static GenericKubernetesResource custom(String kind) {
        List<GenericKubernetesResource> found = byFile.values().stream()
                .filter(r -> r instanceof GenericKubernetesResource && kind.equals(r.getKind()))
                .map(GenericKubernetesResource.class::cast).toList();
        assertEquals(1, found.size(), "expected one " + kind);
        return found.get(0);
    }

    static List<Volume> volumes() {
        return deployment.getSpec().getTemplate().getSpec().getVolumes();
    }

    static VolumeMount mount(String volume) {
        return container.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).findFirst()
                .orElseThrow(() -> new AssertionError("volume " + volume + " is not mounted"));
    }

    static String env(String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue)
                .findFirst().orElseThrow(() -> new AssertionError("no env " + name));
    }

    static ContainerPort containerPort(String name) {
        return container.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no container port " + name));
    }

    static ServicePort servicePort(String name) {
        return service.getSpec().getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no Service port " + name));
    }

    /** A port reference (number or container port name) as the container port number. */
    static int resolve(IntOrString port) {
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return containerPort(port.getStrVal()).getContainerPort();
    }

    /** The management interface's scheme in the pod (see {@link AppProperties#managementTls}). */
    static String managementScheme() {
        boolean defaultKeyStoreInEnv = container.getEnv().stream()
                .anyMatch(e -> e.getName().startsWith("QUARKUS_TLS_KEY_STORE_"));
        return app.managementTls(defaultKeyStoreInEnv) ? "HTTPS" : "HTTP";
    }

    static void assertProbe(Probe probe, String group) {
        assertNotNull(probe, group + " probe missing");
        assertNotNull(probe.getHttpGet(), group + " probe is not an HTTP GET");
        assertEquals(app.healthPath(group), probe.getHttpGet().getPath());
        assertEquals(managementScheme(), probe.getHttpGet().getScheme());
        assertEquals(app.managementPort(), resolve(probe.getHttpGet().getPort()));
        assertNull(probe.getHttpGet().getHost(), "probes go to the pod IP");
    }

    static void assertSelects(LabelSelector selector, Map<String, String> labels, String what) {
        assertTrue(selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty(), what);
        assertSelects(selector.getMatchLabels(), labels, what);
    }

    static void assertSelects(Map<String, String> matchLabels, Map<String, String> labels, String what) {
        assertNotNull(matchLabels, what);
        assertFalse(matchLabels.isEmpty(), what + " selects everything");
        assertTrue(labels.entrySet().containsAll(matchLabels.entrySet()),
                what + " " + matchLabels + " does not select " + labels);
    }

    static boolean namespaceLabel(NetworkPolicyPeer peer, String label) {
        return peer.getNamespaceSelector() != null && peer.getNamespaceSelector().getMatchLabels() != null
                && peer.getNamespaceSelector().getMatchLabels().containsKey(label);
    }

    /**
     * The container's environment as the kubelet builds it for a pod in {@code namespace}: envFrom first,
     * then env in order, each value expanding $(NAME) references to variables defined before it.
     */
    static Map<String, String> effectiveEnv(String namespace) {
        Map<String, String> env = new LinkedHashMap<>(config.getData());
        Pattern reference = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
        for (EnvVar var : container.getEnv()) {
            String value;
            if (var.getValueFrom() != null) {
                assertEquals("metadata.namespace", var.getValueFrom().getFieldRef().getFieldPath(), var.getName());
                value = namespace;
            } else {
                Matcher matcher = reference.matcher(var.getValue());
                StringBuilder expanded = new StringBuilder();
                while (matcher.find()) {
                    String replacement = env.getOrDefault(matcher.group(1), matcher.group());
                    matcher.appendReplacement(expanded, Matcher.quoteReplacement(replacement));
                }
                matcher.appendTail(expanded);
                value = expanded.toString();
            }
            env.put(var.getName(), value);
        }
        return env;
    }

    static Set<String> volumeTypes(Volume volume) {
        Set<String> types = new HashSet<>();
        for (Field field : Volume.class.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers()) || field.getName().equals("name")
                    || field.getName().equals("additionalProperties")) {
                continue;
            }
            try {
                field.setAccessible(true);
                if (field.get(volume) != null) {
                    types.add(field.getName());
                }
            } catch (IllegalAccessException e) {
                fail(e);
            }
        }
        return types;
    }

    /**
     * Collects fields the fabric8 model did not recognise: Jackson parks them in additionalProperties,
     * so a misspelt key (readOnlyRootFilesytem) would otherwise load silently and do nothing.
     */
    static void unknownFields(Object node, String path, List<String> unknown, Map<Object, Boolean> seen) {
        if (node == null || seen.put(node, Boolean.TRUE) != null) {
            return;
        }
        if (node instanceof Collection<?> collection) {
            int i = 0;
            for (Object item : collection) {
                unknownFields(item, path + "[" + i++ + "]", unknown, seen);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> unknownFields(value, path + "." + key, unknown, seen));
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Class<?> type = node.getClass(); type != null && type != Object.class; type = type.getSuperclass()) {
            for (Field field : type.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) || field.getType().isPrimitive()) {
                    continue;
                }
                Object value;
                try {
                    field.setAccessible(true);
                    value = field.get(node);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    continue;
                }
                if (field.getName().equals("additionalProperties")) {
                    if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                        extra.keySet().forEach(key -> unknown.add(path + "." + key));
                    }
                } else {
                    unknownFields(value, path + "." + field.getName(), unknown, seen);
                }
            }
        }
    }
}
