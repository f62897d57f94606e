package dev.lcm4j.config;

import dev.lcm4j.LcmException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Helpers over a config tree: nested {@code LinkedHashMap<String,Object>} whose leaves are String, Integer, Long,
 * Double, Boolean, null or {@code List}. Paths are dotted ({@code trainer.data_loading_config.max_tokens}).
 */
public final class ConfigTree {
    private ConfigTree() {}

    /** Hydra's marker for a mandatory value that has not been given. */
    public static final String MISSING = "???";

    /** Copies {@code map} into a tree, checking that every key is a string; {@code where} names the source. */
    static Map<String, Object> asStringMap(Map<?, ?> map, String where) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new LcmException("non-string key " + e.getKey() + " in " + where);
            }
            out.put(key, normalize(e.getValue(), where));
        }
        return out;
    }

    /** Deep copy with maps as LinkedHashMap and lists as ArrayList. */
    static Object normalize(Object value, String where) {
        if (value instanceof Map<?, ?> m) return asStringMap(m, where);
        if (value instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) out.add(normalize(o, where));
            return out;
        }
        return value;
    }

    /** Deep copy of a tree. */
    public static Map<String, Object> copy(Map<String, Object> tree) {
        return asStringMap(tree, "config");
    }

    /** Value at {@code path}, or null when absent (use {@link #contains} to tell absent from null). */
    public static Object get(Map<String, Object> tree, String path) {
        Object node = tree;
        for (String part : path.split("\\.")) {
            if (!(node instanceof Map<?, ?> m) || !m.containsKey(part)) return null;
            node = m.get(part);
        }
        return node;
    }

    /** Whether {@code path} names an existing key (whose value may be null). */
    public static boolean contains(Map<String, Object> tree, String path) {
        Object node = tree;
        for (String part : path.split("\\.")) {
            if (!(node instanceof Map<?, ?> m) || !m.containsKey(part)) return false;
            node = m.get(part);
        }
        return true;
    }

    /** The map at {@code path}, created (with intermediate maps) when absent. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> mapAt(Map<String, Object> tree, String path) {
        Map<String, Object> node = tree;
        if (path.isEmpty()) return node;
        String walked = "";
        for (String part : path.split("\\.")) {
            walked = walked.isEmpty() ? part : walked + "." + part;
            Object child = node.get(part);
            if (child == null) {
                child = new LinkedHashMap<String, Object>();
                node.put(part, child);
            } else if (!(child instanceof Map)) {
                throw new LcmException("cannot place config under " + path + ": " + walked + " is a value, not a mapping");
            }
            node = (Map<String, Object>) child;
        }
        return node;
    }

    /** Sets {@code path} to {@code value}, creating intermediate maps. */
    static void put(Map<String, Object> tree, String path, Object value) {
        int dot = path.lastIndexOf('.');
        Map<String, Object> parent = dot < 0 ? tree : mapAt(tree, path.substring(0, dot));
        parent.put(path.substring(dot + 1), value);
    }

    /** Removes {@code path}; returns whether it existed. */
    @SuppressWarnings("unchecked")
    static boolean remove(Map<String, Object> tree, String path) {
        int dot = path.lastIndexOf('.');
        Object parent = dot < 0 ? tree : get(tree, path.substring(0, dot));
        if (!(parent instanceof Map<?, ?> m) || !m.containsKey(path.substring(dot + 1))) return false;
        ((Map<String, Object>) m).remove(path.substring(dot + 1));
        return true;
    }

    /** Deep-merges {@code src} into {@code dst}: maps merge key by key, anything else (lists included) replaces. */
    @SuppressWarnings("unchecked")
    static void merge(Map<String, Object> dst, Map<String, Object> src) {
        for (Map.Entry<String, Object> e : src.entrySet()) {
            Object old = dst.get(e.getKey());
            if (old instanceof Map && e.getValue() instanceof Map) {
                merge((Map<String, Object>) old, (Map<String, Object>) e.getValue());
            } else {
                dst.put(e.getKey(), normalize(e.getValue(), "config"));
            }
        }
    }

    /** Every dotted path in the tree (mappings and leaves), in document order. */
    static List<String> paths(Map<String, Object> tree) {
        List<String> out = new ArrayList<>();
        collect(tree, "", out);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void collect(Map<String, Object> node, String prefix, List<String> out) {
        for (Map.Entry<String, Object> e : node.entrySet()) {
            String p = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            out.add(p);
            if (e.getValue() instanceof Map) collect((Map<String, Object>) e.getValue(), p, out);
        }
    }

    /** The candidate closest to {@code name} by edit distance, or null when none is reasonably close. */
    static String closest(String name, Iterable<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = editDistance(name, c);
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        return best != null && bestDistance <= Math.max(2, name.length() / 3) ? best : null;
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }
}
