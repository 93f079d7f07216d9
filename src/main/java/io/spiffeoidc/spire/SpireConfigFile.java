package io.spiffeoidc.spire;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.spiffeoidc.logging.LogSanitiser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads SPIRE's oidc-discovery-provider configuration file. SPIRE parses HCL, of which JSON is a subset;
 * the Zero Trust Workload Identity Manager writes JSON, and JSON is what this reader accepts.
 */
final class SpireConfigFile {

    /** Larger than any real configuration by far; a mistaken path to a big file must not be read whole. */
    private static final int MAX_BYTES = 1 << 20;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** $VAR, ${VAR} and $$, as SPIRE's -expandEnv expands them; unset variables become empty. */
    private static final Pattern VARIABLE = Pattern.compile("\\$(?:\\{([^}]*)\\}|([A-Za-z0-9_]+)|(\\$))");

    private SpireConfigFile() {
    }

    static SpireSettings read(Path file, boolean expandEnv, UnaryOperator<String> environment)
            throws SpireConfigException {
        String text;
        try (InputStream in = Files.newInputStream(file)) {
            // Bounded by what is read, not by a size looked up before: the file may grow in between, and
            // a FIFO or device has no size.
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw new SpireConfigException(file, List.of("larger than " + MAX_BYTES + " bytes"));
            }
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (IOException e) {
            throw new SpireConfigException("Cannot read the SPIRE configuration file " + file + " ("
                    + e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : "") + ")");
        }
        if (expandEnv) {
            text = expand(text, environment);
        }
        return SpireKeys.map(file, parse(file, text));
    }

    static String expand(String text, UnaryOperator<String> environment) {
        Matcher variable = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (variable.find()) {
            String value;
            if (variable.group(3) != null) {
                value = "$";
            } else {
                String name = variable.group(1) != null ? variable.group(1) : variable.group(2);
                value = environment.apply(name);
            }
            variable.appendReplacement(out, Matcher.quoteReplacement(value == null ? "" : value));
        }
        variable.appendTail(out);
        return out.toString();
    }

    private static JsonNode parse(Path file, String text) throws SpireConfigException {
        String trimmed = text.strip();
        if (!trimmed.startsWith("{") && !trimmed.isEmpty()) {
            throw new SpireConfigException(file, List.of("HCL is not supported; the file must be JSON"
                    + " (as the Zero Trust Workload Identity Manager writes it)"));
        }
        try {
            JsonNode root = JSON.readTree(text);
            if (root == null || root.isMissingNode()) {
                throw new SpireConfigException(file, List.of("the file is empty"));
            }
            return root;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            String what = e instanceof JsonParseException parse ? parse.getOriginalMessage() : e.getOriginalMessage();
            throw new SpireConfigException(file, List.of("not valid JSON" + where + ": "
                    + LogSanitiser.clean(what.lines().findFirst().orElse(what), 200)));
        }
    }
}
