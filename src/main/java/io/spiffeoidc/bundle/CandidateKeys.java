package io.spiffeoidc.bundle;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/** The key entries of a candidate bundle as raw JSON members, before any of them is trusted. */
public record CandidateKeys(List<Map<String, Object>> entries, OptionalLong sequence, OptionalLong refreshHint) {

    public CandidateKeys {
        entries = List.copyOf(entries);
    }
}
