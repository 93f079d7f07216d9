package io.spiffeoidc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/architecture.md stays true: every package it maps exists and every package of the code is mapped,
 * and each dependency rule it states (its lines "- `a` imports only `b`, `c`" and "- `a` never imports `b`")
 * holds for the imports of src/main/java.
 */
class ArchitectureTest {

    static final Path DOC = Path.of("docs/architecture.md");
    static final Path ROOT = Path.of("src/main/java/io/spiffeoidc");
    static final Pattern MAPPED = Pattern.compile("^\\s{2,}([a-z]+(?:/[a-z]+)?)/\\s", Pattern.MULTILINE);
    static final Pattern ONLY = Pattern.compile("^- `([a-z]+)` imports only ((?:`[a-z]+`(?:, | and )?)+|nothing of the project)",
            Pattern.MULTILINE);
    static final Pattern NEVER = Pattern.compile("^- `([a-z]+)` never imports ((?:`[a-z.A-Z]+`(?:, | or )?)+)", Pattern.MULTILINE);
    static final Pattern IMPORT = Pattern.compile("^import (?:static )?io\\.spiffeoidc\\.([a-z]+)((?:\\.[A-Za-z]\\w*)*)",
            Pattern.MULTILINE);

    @Test
    void theDocumentMapsEveryPackageAndNoOther() throws IOException {
        Set<String> mapped = new TreeSet<>();
        Matcher matcher = MAPPED.matcher(layoutBlock());
        while (matcher.find()) {
            mapped.add(matcher.group(1));
        }
        Set<String> packages;
        try (Stream<Path> dirs = Files.walk(ROOT)) {
            packages = dirs.filter(Files::isDirectory).filter(dir -> !dir.equals(ROOT)).filter(ArchitectureTest::hasSources)
                    .map(dir -> ROOT.relativize(dir).toString()).collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(packages, mapped, "docs/architecture.md maps exactly the packages of src/main/java");
    }

    @Test
    void everyStatedDependencyRuleHolds() throws IOException {
        String doc = Files.readString(DOC);
        assertTrue(ruleCount(doc) >= 5, "docs/architecture.md states its dependency rules");
        List<String> broken = violations(doc, importsByPackage());
        assertTrue(broken.isEmpty(), String.join("\n", broken));
    }

    @Test
    void aBrokenRuleIsReported() {
        String doc = "- `http` never imports `source` or `bundle.BundlePublisher`\n- `bundle` imports only `logging`\n";
        assertEquals(List.of(
                "bundle imports config.ProviderSettings, but the document says it imports only [logging]",
                "http imports bundle.BundlePublisher, but the document says it never imports bundle.BundlePublisher",
                "http imports source.BundleSource, but the document says it never imports source"),
                violations(doc, Map.of("http", Set.of("source.BundleSource", "bundle.BundlePublisher", "bundle.PublishedView"),
                        "bundle", Set.of("logging.LogSanitiser", "config.ProviderSettings"))));
    }

    private static int ruleCount(String doc) {
        return (int) (ONLY.matcher(doc).results().count() + NEVER.matcher(doc).results().count());
    }

    /** What breaks the document's rules, given each package's imports of project classes. */
    static List<String> violations(String doc, Map<String, Set<String>> imports) {
        List<String> broken = new ArrayList<>();
        Matcher only = ONLY.matcher(doc);
        while (only.find()) {
            String from = only.group(1);
            Set<String> allowed = names(only.group(2));
            for (String target : new TreeSet<>(imports.getOrDefault(from, Set.of()))) {
                String targetPackage = target.split("\\.")[0];
                if (!targetPackage.equals(from) && !allowed.contains(targetPackage)) {
                    broken.add(from + " imports " + target + ", but the document says it imports only " + allowed);
                }
            }
        }
        Matcher never = NEVER.matcher(doc);
        while (never.find()) {
            String from = never.group(1);
            for (String forbidden : names(never.group(2))) {
                for (String target : new TreeSet<>(imports.getOrDefault(from, Set.of()))) {
                    if (target.equals(forbidden) || target.startsWith(forbidden + ".")) {
                        broken.add(from + " imports " + target + ", but the document says it never imports " + forbidden);
                    }
                }
            }
        }
        java.util.Collections.sort(broken);
        return broken;
    }

    /** Top-level package (first segment under io.spiffeoidc) → the project classes its files import. */
    private static Map<String, Set<String>> importsByPackage() throws IOException {
        Map<String, Set<String>> imports = new TreeMap<>();
        try (Stream<Path> files = Files.walk(ROOT)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Path relative = ROOT.relativize(file);
                String from = relative.getNameCount() == 1 ? "(root)" : relative.getName(0).toString();
                Matcher matcher = IMPORT.matcher(Files.readString(file));
                while (matcher.find()) {
                    imports.computeIfAbsent(from, k -> new TreeSet<>()).add(matcher.group(1) + matcher.group(2));
                }
            }
        }
        return imports;
    }

    private static Set<String> names(String list) {
        Set<String> names = new TreeSet<>();
        Matcher quoted = Pattern.compile("`([^`]+)`").matcher(list);
        while (quoted.find()) {
            names.add(quoted.group(1));
        }
        return names;
    }

    private static String layoutBlock() throws IOException {
        String doc = Files.readString(DOC);
        int start = doc.indexOf("src/main/java/io/spiffeoidc/");
        int end = doc.indexOf("```", start);
        assertTrue(start >= 0 && end > start, "docs/architecture.md has the package layout block");
        return doc.substring(start, end);
    }

    private static boolean hasSources(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(f -> f.toString().endsWith(".java"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
