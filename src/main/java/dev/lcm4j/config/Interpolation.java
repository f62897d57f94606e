package dev.lcm4j.config;

import dev.lcm4j.LcmException;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolves OmegaConf-style {@code ${a.b}} references after composition. A value that is exactly one reference takes
 * the referenced value with its type; a reference inside a longer string is replaced by the referenced value's text.
 * A reference to a value that is still {@code ???} (mandatory, not given) is left unresolved, so that the binder can
 * report the missing key itself. Resolvers such as {@code ${oc.env:X}} are not supported.
 */
final class Interpolation {
    private Interpolation() {}

    private static final Pattern REF = Pattern.compile("\\$\\{([^${}]+)}");

    /** Resolves every reference in {@code tree} in place. */
    static void resolveAll(Map<String, Object> tree) {
        new Resolver(tree).resolveMap(tree, "");
    }

    private static final class Resolver {
        private final Map<String, Object> root;
        private final Deque<String> stack = new ArrayDeque<>();

        Resolver(Map<String, Object> root) {
            this.root = root;
        }

        @SuppressWarnings("unchecked")
        Object resolveValue(Object value, String path) {
            if (value instanceof String s) return resolveString(s, path);
            if (value instanceof Map<?, ?> m) {
                resolveMap((Map<String, Object>) m, path);
            } else if (value instanceof List<?> l) {
                List<Object> list = (List<Object>) l;
                for (int i = 0; i < list.size(); i++) list.set(i, resolveValue(list.get(i), path + "[" + i + "]"));
            }
            return value;
        }

        void resolveMap(Map<String, Object> map, String prefix) {
            for (Map.Entry<String, Object> e : map.entrySet()) {
                String p = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
                e.setValue(resolveValue(e.getValue(), p));
            }
        }

        private Object resolveString(String s, String path) {
            Matcher m = REF.matcher(s);
            if (!m.find()) return s;
            if (m.start() == 0 && m.end() == s.length()) {
                Object target = lookup(m.group(1).trim(), path);
                return target == UNRESOLVED ? s : target;
            }
            StringBuilder out = new StringBuilder();
            m.reset();
            boolean unresolved = false;
            while (m.find()) {
                Object target = lookup(m.group(1).trim(), path);
                if (target == UNRESOLVED) unresolved = true;
                m.appendReplacement(out, Matcher.quoteReplacement(
                        target == UNRESOLVED ? m.group() : String.valueOf(target)));
            }
            m.appendTail(out);
            return unresolved ? s : out.toString();
        }

        private Object lookup(String ref, String path) {
            if (ref.contains(":")) {
                throw new LcmException("interpolation ${" + ref + "} in " + path
                        + ": resolvers are not supported by lcm4j, only ${key.path} references");
            }
            if (!ConfigTree.contains(root, ref)) {
                throw new LcmException("interpolation ${" + ref + "} in " + path + ": key " + ref + " does not exist");
            }
            if (stack.contains(ref)) {
                throw new LcmException("interpolation ${" + ref + "} in " + path + " is circular: " + stack);
            }
            stack.push(ref);
            try {
                Object target = resolveValue(ConfigTree.get(root, ref), ref);
                ConfigTree.put(root, ref, target);
                if (ConfigTree.MISSING.equals(target)) return UNRESOLVED;
                if (target instanceof String t && REF.matcher(t).find()) return UNRESOLVED;
                return target instanceof Map<?, ?> || target instanceof List<?>
                        ? ConfigTree.normalize(target, ref) : target;
            } finally {
                stack.pop();
            }
        }
    }

    private static final Object UNRESOLVED = new Object();
}
