package io.spiffeoidc.bundle;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Reads a candidate bundle document: a SPIFFE bundle (RFC 7517 JWKS with {@code use} per key and
 * {@code spiffe_*} members) or the plain JWKS the Workload API sends. Only shape is checked here;
 * {@link KeyPolicy} decides whether each key may be published.
 */
public final class BundleParser {

    public static final int MAX_DOCUMENT_BYTES = 1024 * 1024;
    public static final int MAX_KEYS = 1000;

    private BundleParser() {
    }

    /**
     * @param document the whole document, or its first {@link #MAX_DOCUMENT_BYTES} + 1 bytes: a source that
     *                 reads no further than that still gets the {@code too-large} refusal
     */
    public static CandidateKeys parse(byte[] document) throws BundleRefusal {
        if (document.length > MAX_DOCUMENT_BYTES) {
            throw new BundleRefusal(RefusalReason.TOO_LARGE, "document is larger than the limit of " + MAX_DOCUMENT_BYTES + " bytes");
        }
        Map<String, Object> root;
        try {
            root = JSONObjectUtils.parse(strictUtf8(document), MAX_DOCUMENT_BYTES);
        } catch (ParseException | CharacterCodingException | RuntimeException e) {
            // RuntimeException: the JSON reader reports some malformed input (deep nesting) that way
            throw new BundleRefusal(RefusalReason.INVALID_JSON, "not a JSON object");
        }
        if (root == null) {
            throw new BundleRefusal(RefusalReason.INVALID_JSON, "not a JSON object");
        }
        Object keys = root.get("keys");
        if (!(keys instanceof List<?> entries)) {
            throw new BundleRefusal(RefusalReason.INVALID_JSON, "no \"keys\" array");
        }
        if (entries.size() > MAX_KEYS) {
            throw new BundleRefusal(RefusalReason.TOO_MANY_KEYS,
                    "bundle has " + entries.size() + " keys, the limit is " + MAX_KEYS);
        }
        List<Map<String, Object>> members = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            if (!(entries.get(i) instanceof Map<?, ?> entry)) {
                throw new BundleRefusal(RefusalReason.INVALID_JSON, "keys[" + i + "] is not a JSON object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> typed = (Map<String, Object>) entry;
            members.add(typed);
        }
        return new CandidateKeys(members, longMember(root, "spiffe_sequence"), longMember(root, "spiffe_refresh_hint"));
    }

    private static String strictUtf8(byte[] document) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(document))
                .toString();
    }

    private static OptionalLong longMember(Map<String, Object> root, String name) throws BundleRefusal {
        Object value = root.get(name);
        if (value == null) {
            return OptionalLong.empty();
        }
        if (value instanceof Number number && number.doubleValue() == Math.rint(number.doubleValue())) {
            return OptionalLong.of(number.longValue());
        }
        throw new BundleRefusal(RefusalReason.INVALID_JSON, "\"" + name + "\" is not an integer");
    }
}
