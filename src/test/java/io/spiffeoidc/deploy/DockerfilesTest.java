package io.spiffeoidc.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The container images' recipes, read instruction by instruction: non-root user, the application's
 * ports, the artifacts where the Quarkus build puts them, the build context. The JVM image is also built
 * and run by src/test/container/run.sh (ContainerImageIT); the native one is never built here.
 */
class DockerfilesTest {

    record Instruction(String keyword, String arguments) {
        List<String> words() {
            return Arrays.asList(arguments.trim().split("\\s+"));
        }
    }

    static List<Instruction> parse(String file) throws IOException {
        List<Instruction> instructions = new ArrayList<>();
        StringBuilder logical = new StringBuilder();
        for (String line : Files.readAllLines(Path.of(file))) {
            String trimmed = line.strip();
            if (logical.isEmpty() && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                logical.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            logical.append(trimmed);
            String text = logical.toString().strip();
            logical.setLength(0);
            int space = text.indexOf(' ');
            instructions.add(new Instruction(text.substring(0, space).toUpperCase(), text.substring(space + 1).strip()));
        }
        return instructions;
    }

    static List<Instruction> all(List<Instruction> instructions, String keyword) {
        return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    static Instruction last(List<Instruction> instructions, String keyword) {
        List<Instruction> found = all(instructions, keyword);
        assertFalse(found.isEmpty(), "no " + keyword);
        return found.get(found.size() - 1);
    }

    /** The image's final user must be a non-zero numeric UID: kubelet's runAsNonRoot can only verify those. */
    static void assertNonRoot(List<Instruction> instructions, String expectedUser) {
        String user = last(instructions, "USER").arguments().split(":")[0];
        assertEquals(expectedUser, user);
        assertTrue(user.matches("[0-9]+"), "USER must be numeric: " + user);
        assertNotEquals(0, Integer.parseInt(user));
    }

    static void assertExposesTheApplicationsPorts(List<Instruction> instructions) {
        AppProperties app = AppProperties.load();
        Set<String> exposed = all(instructions, "EXPOSE").stream().flatMap(i -> i.words().stream())
                .map(port -> port.replace("/tcp", "")).collect(Collectors.toSet());
        assertEquals(Set.of(String.valueOf(app.httpsPort()), String.valueOf(app.managementPort())), exposed);
    }

    static void assertPinnedBase(List<Instruction> instructions, Set<String> allowedRepositories) {
        List<Instruction> from = all(instructions, "FROM");
        assertEquals(1, from.size(), "a single stage: the artifact is built by Maven, not in the image");
        String image = from.get(0).words().get(0);
        Matcher argument = Pattern.compile("\\$\\{(\\w+)}").matcher(image);
        if (argument.matches()) {
            // A replaceable base: the build argument's default is the pinned image.
            String prefix = argument.group(1) + "=";
            image = all(instructions, "ARG").stream().map(Instruction::arguments).filter(a -> a.startsWith(prefix))
                    .map(a -> a.substring(prefix.length())).findFirst()
                    .orElseThrow(() -> new AssertionError("no ARG " + argument.group(1) + " with a default"));
        }
        int colon = image.lastIndexOf(':');
        assertTrue(colon > 0, "base image without a tag: " + image);
        String repository = image.substring(0, colon);
        String tag = image.substring(colon + 1);
        assertTrue(allowedRepositories.contains(repository), repository);
        assertTrue(tag.matches("[0-9]+(\\.[0-9]+)+(-[0-9.]+)?"), "pin a versioned tag, not " + tag);
    }

    @Test
    void jvmImageRunsTheQuarkusJarThroughTheLauncherAsUser185() throws IOException {
        List<Instruction> jvm = parse("Dockerfile.jvm");
        assertPinnedBase(jvm, Set.of("registry.access.redhat.com/ubi9/openjdk-25-runtime"));
        assertNonRoot(jvm, "185");
        assertExposesTheApplicationsPorts(jvm);

        List<String> copies = all(jvm, "COPY").stream().map(Instruction::arguments).toList();
        assertEquals(List.of(
                "--chown=185:0 target/quarkus-app/lib/ /deployments/lib/",
                "--chown=185:0 target/quarkus-app/*.jar /deployments/",
                "--chown=185:0 target/quarkus-app/app/ /deployments/app/",
                "--chown=185:0 target/quarkus-app/quarkus/ /deployments/quarkus/",
                "--chown=185:0 target/quarkus-app/native/ /deployments/native/",
                "--chown=185:0 --chmod=0755 bin/start /deployments/bin/start",
                "--chown=185:0 bin/jvm.options bin/jvm25.options /deployments/bin/"), copies);
        assertEquals("[ \"/deployments/bin/start\" ]", last(jvm, "ENTRYPOINT").arguments());
        // The base image's CMD would otherwise become the launcher's first argument.
        assertEquals("[ ]", last(jvm, "CMD").arguments());
    }

    /**
     * The JVM settings have one definition, bin/jvm.options, read by bin/start; the image adds none of its
     * own (no JAVA_OPTS of the base image's run-java.sh, no JAVA_TOOL_OPTIONS), so what the benchmark and a
     * workstation start with bin/start is what the image runs.
     */
    @Test
    void theImageTakesItsJvmSettingsFromTheLauncherAlone() throws IOException {
        List<Instruction> jvm = parse("Dockerfile.jvm");
        for (Instruction env : all(jvm, "ENV")) {
            assertFalse(env.arguments().matches("(?s).*\\b(JAVA_OPTS\\w*|JAVA_MAX_MEM_RATIO|JAVA_TOOL_OPTIONS|JDK_JAVA_OPTIONS)\\b.*"),
                    "JVM settings belong in bin/jvm.options: " + env.arguments());
        }
        List<String> options = JvmOptions.load();
        assertTrue(options.contains("-XX:+ExitOnOutOfMemoryError"), options.toString());
        assertTrue(options.contains("-XX:-UsePerfData"), "no hsperfdata on a read-only root: " + options);
        assertTrue(options.stream().anyMatch(o -> o.matches("-XX:\\+Use\\w+GC")), "a chosen collector: " + options);
        assertTrue(options.stream().anyMatch(o -> o.startsWith("-XX:MaxRAMPercentage=")), "heap as a share of the limit: " + options);
        assertTrue(options.stream().noneMatch(o -> o.startsWith("-Xmx") || o.startsWith("-XX:MaxRAM=")),
                "a fixed heap would not follow the container's limit: " + options);
        String launcher = Files.readString(Path.of("bin/start"));
        assertTrue(launcher.contains("\"@$here/jvm.options\""), "bin/start passes bin/jvm.options to java");
        assertTrue(launcher.contains("-XX:MaxRAM="), "bin/start bounds the heap when there is no memory limit");
        // A read-only root file system: Netty loads the shipped native libraries instead of extracting to /tmp.
        assertTrue(launcher.contains("-Djava.library.path=$app/native"), "bin/start puts the shipped native libraries on the library path");
    }

    /** The benchmark measures what ships: it starts the service with the launcher, never with a java line of its own. */
    @Test
    void theBenchmarkStartsTheServiceWithTheLauncher() throws IOException {
        for (String script : List.of("bench/run.sh", "bench/propagation.sh")) {
            String text = Files.readString(Path.of(script));
            assertFalse(Pattern.compile("-jar\\s+\\S*quarkus-run\\.jar").matcher(text).find(), script + " starts the jar itself");
            assertTrue(text.contains("bin/start"), script + " does not use bin/start");
        }
    }

    @Test
    void theBuildProducesTheJarLayoutTheJvmImageCopies() {
        // quarkus-run.jar with lib/, app/ and quarkus/ is the layout of both fast-jar and aot-jar (the
        // type the AOT cache selects on JDK 25); another packaging type would leave the COPY lines above
        // copying nothing.
        String type = AppProperties.load().get("quarkus.package.jar.type", "fast-jar");
        assertTrue(Set.of("fast-jar", "aot-jar").contains(type), type);
    }

    @Test
    void nativeImageRunsTheRunnerAsANonRootUser() throws IOException {
        List<Instruction> nativeImage = parse("Dockerfile.native");
        assertPinnedBase(nativeImage, Set.of("registry.access.redhat.com/ubi9/ubi-minimal",
                "registry.access.redhat.com/ubi9-micro", "registry.access.redhat.com/ubi9/ubi-micro"));
        assertNonRoot(nativeImage, "185");
        assertExposesTheApplicationsPorts(nativeImage);
        List<Instruction> copies = all(nativeImage, "COPY");
        assertEquals(1, copies.size());
        List<String> words = copies.get(0).words();
        assertEquals("target/*-runner", words.get(words.size() - 2));
        assertEquals("/work/application", words.get(words.size() - 1));
        // The arguments the operator or the Deployment gives, unchanged: nothing of its own, as in the JVM image.
        assertEquals("[ \"./application\" ]", last(nativeImage, "ENTRYPOINT").arguments());
        assertEquals("[ ]", last(nativeImage, "CMD").arguments());
        assertEquals("/work/", last(nativeImage, "WORKDIR").arguments());
    }

    /** Every file the JVM image's build reads is let through by .dockerignore, or the build stops on it. */
    @Test
    void theBuildContextHoldsWhatTheJvmImageReads() throws IOException {
        List<String> allowed = Files.readAllLines(Path.of(".dockerignore")).stream().map(String::strip)
                .filter(line -> line.startsWith("!")).map(line -> line.substring(1)).toList();
        List<String> sources = new ArrayList<>();
        for (Instruction copy : all(parse("Dockerfile.jvm"), "COPY")) {
            List<String> words = copy.words().stream().filter(w -> !w.startsWith("--")).toList();
            sources.addAll(words.subList(0, words.size() - 1));
        }
        Matcher mount = Pattern.compile("--mount=type=bind,source=([^,\\s]+)").matcher(last(parse("Dockerfile.jvm"), "RUN").arguments());
        assertTrue(mount.find(), "the training step mounts its classes from the build context");
        sources.add(mount.group(1));
        for (String source : sources) {
            assertTrue(allowed.stream().anyMatch(pattern -> pattern.equals(source)
                    || pattern.endsWith("/*") && source.startsWith(pattern.substring(0, pattern.length() - 1))
                    || pattern.endsWith("/*") && source.equals(pattern.substring(0, pattern.length() - 2))),
                    source + " is filtered out by .dockerignore");
        }
    }

    @Test
    void buildContextHoldsOnlyTheBuildOutputs() throws IOException {
        List<String> patterns = Files.readAllLines(Path.of(".dockerignore")).stream().map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        assertEquals("*", patterns.get(0), "exclude everything first");
        assertEquals(Set.of("!target/*-runner", "!target/quarkus-app/*", "!target/aot-training/*", "!bin/start",
                "!bin/jvm.options", "!bin/jvm25.options"), Set.copyOf(patterns.subList(1, patterns.size())));
    }
}
