package dev.lcm4j.io;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Python {@code collections.OrderedDict}: what {@code nn.Module.state_dict()} returns and what the reader yields
 * for one. {@link TorchFile#write} writes this type as an OrderedDict and every other {@link Map} as a plain
 * {@code dict}; both load in Python, but code that checks the type (some state-dict loaders do) needs the former.
 *
 * <p>{@link #attributes()} holds instance attributes the pickle set with BUILD, e.g. the {@code _metadata} with
 * module versions that {@code state_dict()} attaches. They are kept for inspection and not written back.
 */
public final class OrderedDict<K, V> extends LinkedHashMap<K, V> {
    private final Map<String, Object> attributes = new LinkedHashMap<>();

    public OrderedDict() {
    }

    public OrderedDict(Map<? extends K, ? extends V> entries) {
        super(entries);
    }

    /** Instance attributes set by the pickle (not part of the map's entries). */
    public Map<String, Object> attributes() {
        return attributes;
    }
}
