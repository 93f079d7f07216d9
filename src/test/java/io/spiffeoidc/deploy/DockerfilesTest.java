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
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The container images' recipes, read instruction by instruction: non-root user, the application's
 * ports, the artifacts where the Quarkus build puts them. No image is built here (no container engine).
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
        int colon = image.lastIndexOf(':');
        assertTrue(colon > 0, "base image without a tag: " + image);
        String repository = image.substring(0, colon);
        String tag = image.substring(colon + 1);
        assertTrue(allowedRepositories.contains(repository), repository);
        assertTrue(tag.matches("[0-9]+(\\.[0-9]+)+(-[0-9.]+)?"), "pin a versioned tag, not " + tag);
    }

    @Test
    void jvmImageRunsTheFastJarAsUser185() throws IOException {
        List<Instruction> jvm = parse("Dockerfile.jvm");
        assertPinnedBase(jvm, Set.of("registry.access.redhat.com/ubi9/openjdk-17-runtime"));
        assertNonRoot(jvm, "185");
        assertExposesTheApplicationsPorts(jvm);

        List<String> copies = all(jvm, "COPY").stream().map(Instruction::arguments).toList();
        assertEquals(List.of(
                "--chown=185 target/quarkus-app/lib/ /deployments/lib/",
                "--chown=185 target/quarkus-app/*.jar /deployments/",
                "--chown=185 target/quarkus-app/app/ /deployments/app/",
                "--chown=185 target/quarkus-app/quarkus/ /deployments/quarkus/",
                "--chown=185 target/quarkus-app/native/ /deployments/native/"), copies);
        String env = all(jvm, "ENV").stream().map(Instruction::arguments).collect(Collectors.joining("\n"));
        assertTrue(env.contains("JAVA_APP_JAR=\"/deployments/quarkus-run.jar\""), env);
        assertTrue(env.contains("-Dquarkus.http.host=0.0.0.0"), env);
        assertTrue(env.contains("-Djava.util.logging.manager=org.jboss.logmanager.LogManager"), env);
        // A read-only root file system: Netty loads the shipped native libraries instead of extracting to /tmp.
        assertTrue(env.contains("-Djava.library.path=/deployments/native"), env);
        assertTrue(env.matches("(?s).*JAVA_MAX_MEM_RATIO=[1-8][0-9].*"), "heap as a share of the limit: " + env);
        assertEquals("[ \"/opt/jboss/container/java/run/run-java.sh\" ]", last(jvm, "ENTRYPOINT").arguments());
    }

    @Test
    void theBuildProducesTheFastJarTheJvmImageCopies() {
        // quarkus-run.jar with lib/, app/ and quarkus/ is the fast-jar; another packaging type would leave
        // the COPY lines above copying nothing.
        String type = AppProperties.load().get("quarkus.package.jar.type", "fast-jar");
        assertEquals("fast-jar", type);
    }

    @Test
    void nativeImageRunsTheRunnerAsANonRootUser() throws IOException {
        List<Instruction> nativeImage = parse("Dockerfile.native");
        assertPinnedBase(nativeImage, Set.of("registry.access.redhat.com/ubi9/ubi-minimal",
                "registry.access.redhat.com/ubi9-micro", "registry.access.redhat.com/ubi9/ubi-micro"));
        assertNonRoot(nativeImage, "1001");
        assertExposesTheApplicationsPorts(nativeImage);
        List<Instruction> copies = all(nativeImage, "COPY");
        assertEquals(1, copies.size());
        List<String> words = copies.get(0).words();
        assertEquals("target/*-runner", words.get(words.size() - 2));
        assertEquals("/work/application", words.get(words.size() - 1));
        assertTrue(last(nativeImage, "ENTRYPOINT").arguments().contains("\"./application\""));
        assertEquals("/work/", last(nativeImage, "WORKDIR").arguments());
    }

    @Test
    void buildContextHoldsOnlyTheBuildOutputs() throws IOException {
        List<String> patterns = Files.readAllLines(Path.of(".dockerignore")).stream().map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        assertEquals("*", patterns.get(0), "exclude everything first");
        assertEquals(Set.of("!target/*-runner", "!target/quarkus-app/*"), Set.copyOf(patterns.subList(1, patterns.size())));
    }
}
