package io.spiffeoidc.spire;

import com.fasterxml.jackson.databind.JsonNode;
import io.spiffeoidc.logging.LogSanitiser;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One JSON object of SPIRE's file, read key by key with SPIRE's types. A value of the wrong type is a
 * problem naming the key; keys nobody asked for are reported afterwards as unknown.
 */
final class Section {

    private final String prefix;
    private final JsonNode node;
    private final List<String> problems;
    private final Set<String> read = new HashSet<>();
    private final List<Section> children = new ArrayList<>();

    Section(String prefix, JsonNode node, List<String> problems) {
        this.prefix = prefix;
        this.node = node;
        this.problems = problems;
    }

    String name(String key) {
        return prefix + key;
    }

    boolean has(String key) {
        read.add(key);
        return node.has(key) && !node.get(key).isNull();
    }

    Optional<String> string(String key) {
        if (!has(key)) {
            return Optional.empty();
        }
        JsonNode value = node.get(key);
        if (!value.isTextual()) {
            return wrongType(key, "a string");
        }
        return value.asText().isEmpty() ? Optional.empty() : Optional.of(value.asText());
    }

    boolean bool(String key) {
        if (!has(key)) {
            return false;
        }
        JsonNode value = node.get(key);
        if (!value.isBoolean()) {
            wrongType(key, "true or false");
            return false;
        }
        return value.asBoolean();
    }

    Optional<List<String>> strings(String key) {
        if (!has(key)) {
            return Optional.empty();
        }
        JsonNode value = node.get(key);
        List<String> items = new ArrayList<>();
        if (value.isArray()) {
            for (JsonNode item : value) {
                if (!item.isTextual()) {
                    return wrongType(key, "a list of strings");
                }
                items.add(item.asText());
            }
            return Optional.of(items);
        }
        return wrongType(key, "a list of strings");
    }

    /** A port as SPIRE's operators write it: a number or a string of digits ("8008"). */
    Optional<Integer> port(String key) {
        if (!has(key)) {
            return Optional.empty();
        }
        JsonNode value = node.get(key);
        String text = value.isIntegralNumber() ? value.asText() : value.isTextual() ? value.asText().trim() : "";
        if (!text.matches("-?\\d{1,9}")) {
            return wrongType(key, "a port number (a number or a string of digits)");
        }
        return Optional.of(Integer.parseInt(text));
    }

    /**
     * A count of 0 or more as HCL decodes an int: a number or a string of digits ("100"). A fraction, a
     * negative number or more than nine digits is a problem naming the key.
     */
    Optional<Integer> count(String key) {
        if (!has(key)) {
            return Optional.empty();
        }
        JsonNode value = node.get(key);
        String text = value.isIntegralNumber() ? value.asText() : value.isTextual() ? value.asText().trim() : "";
        if (text.matches("-\\d+")) {
            problem(key, "must be 0 or more, not " + text);
            return Optional.empty();
        }
        if (!text.matches("\\d{1,9}")) {
            return wrongType(key, "a whole number (a number or a string of digits)");
        }
        return Optional.of(Integer.parseInt(text));
    }

    /** A sub-section; present but not an object is a problem. */
    Optional<Section> section(String key) {
        if (!has(key)) {
            return Optional.empty();
        }
        JsonNode value = node.get(key);
        if (!value.isObject()) {
            return wrongType(key, "a section (a JSON object)");
        }
        Section child = new Section(prefix + key + ".", value, problems);
        children.add(child);
        return Optional.of(child);
    }

    /** The keys this section holds, in file order (the labels of a labelled section). */
    List<String> keys() {
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    void problem(String key, String text) {
        problems.add(name(key) + ": " + text);
    }

    /** Keys of this section and its sub-sections that no reader asked for. */
    void unknownKeys(List<String> into) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext();) {
            String key = names.next();
            if (!read.contains(key)) {
                into.add(name(key));
            }
        }
        children.forEach(child -> child.unknownKeys(into));
    }

    private <T> Optional<T> wrongType(String key, String expected) {
        problems.add(name(key) + ": must be " + expected + ", not " + describe(node.get(key)));
        return Optional.empty();
    }

    /** Values from the file end up in a one-line error: no control characters, bounded length. */
    /** A value from the file, quoted in a message: the one sanitising rule, bounded for a message line. */
    static String printable(String text) {
        return LogSanitiser.clean(text, 80);
    }

    private static String describe(JsonNode value) {
        return switch (value.getNodeType()) {
            case STRING -> "the string \"" + printable(value.asText()) + "\"";
            case NUMBER -> "the number " + value.asText();
            case BOOLEAN -> value.asText();
            case ARRAY -> "a list";
            case OBJECT -> "a section";
            default -> value.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
