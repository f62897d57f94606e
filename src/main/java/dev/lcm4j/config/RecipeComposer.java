package dev.lcm4j.config;

import dev.lcm4j.LcmException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.LinkedHashMap;

/**
 * Composes a training config the way Hydra does for {@code python -m lcm.train}: the primary config
 * {@code <recipes>/train/defaults.yaml} and its {@code defaults:} list, config groups appended with
 * {@code +group=option}, then key overrides ({@code key=v}, {@code +key=v}, {@code ++key=v}, {@code ~key}) in order,
 * then {@code ${...}} interpolation.
 *
 * <p>Config files are looked up in {@code <recipes>/train/} and then {@code <recipes>/common/}. A file's package is
 * its {@code # @package} header ({@code _global_} = root, {@code _group_} = the group path), else the group path for
 * a group option, else the root; a {@code name@pkg} entry in a defaults list overrides both.
 */
public final class RecipeComposer {
    private RecipeComposer() {}

    private static final String SELF = "_self_";
    private static final Pattern PACKAGE_HEADER = Pattern.compile("^#\\s*@package\\s+(\\S+)\\s*$");

    /** One entry of a defaults list: a config group option, a plain config, or {@code _self_}. */
    private record Entry(String group, String name, String pkg) {
        boolean isSelf() {
            return group == null && SELF.equals(name);
        }
    }

    /**
     * Composes {@code recipesRoot/train/defaults.yaml} with {@code overrides}.
     *
     * @param recipesRoot the {@code recipes} directory (holding {@code train/} and {@code common/})
     * @param overrides   Hydra-style overrides, applied in order
     * @return the composed, interpolated tree (LinkedHashMap, document order)
     */
    public static Map<String, Object> compose(Path recipesRoot, List<String> overrides) {
        List<Path> searchPath = List.of(recipesRoot.resolve("train"), recipesRoot.resolve("common"));
        Path primary = searchPath.get(0).resolve("defaults.yaml");
        Map<String, Object> primaryTree = Yaml11.loadFile(primary);
        List<Entry> defaults = parseDefaults(primaryTree.remove("defaults"), primary);

        List<ConfigOverride> valueOverrides = new ArrayList<>();
        for (String text : overrides) {
            ConfigOverride o = ConfigOverride.parse(Objects.requireNonNull(text, "override"));
            if (o.isGroupLike() && isGroup(searchPath, o.key())) {
                applyGroupOverride(o, defaults, searchPath);
            } else {
                valueOverrides.add(o);
            }
        }

        Map<String, Object> tree = new LinkedHashMap<>();
        if (defaults.stream().noneMatch(Entry::isSelf)) defaults.add(0, new Entry(null, SELF, ""));
        for (Entry e : defaults) {
            if (e.isSelf()) {
                ConfigTree.merge(tree, primaryTree);
            } else {
                mergeConfigFile(tree, e, searchPath);
            }
        }
        for (ConfigOverride o : valueOverrides) applyValueOverride(tree, o);
        Interpolation.resolveAll(tree);
        return tree;
    }

    private static List<Entry> parseDefaults(Object raw, Path file) {
        List<Entry> out = new ArrayList<>();
        if (raw == null) return out;
        if (!(raw instanceof List<?> list)) throw new LcmException("'defaults' in " + file + " must be a list");
        for (Object item : list) {
            if (item instanceof String s) {
                String[] nameAndPkg = s.split("@", 2);
                out.add(new Entry(null, nameAndPkg[0].trim(), nameAndPkg.length > 1 ? nameAndPkg[1].trim() : null));
            } else if (item instanceof Map<?, ?> m && m.size() == 1) {
                Map.Entry<?, ?> e = m.entrySet().iterator().next();
                String[] groupAndPkg = String.valueOf(e.getKey()).split("@", 2);
                out.add(new Entry(groupAndPkg[0].trim(), String.valueOf(e.getValue()),
                        groupAndPkg.length > 1 ? groupAndPkg[1].trim() : null));
            } else {
                throw new LcmException("unsupported defaults list entry " + item + " in " + file
                        + ": expected 'name', 'name@package' or 'group: option'");
            }
        }
        return out;
    }

    private static boolean isGroup(List<Path> searchPath, String group) {
        return searchPath.stream().anyMatch(dir -> Files.isDirectory(dir.resolve(group)));
    }

    private static void applyGroupOverride(ConfigOverride o, List<Entry> defaults, List<Path> searchPath) {
        int index = -1;
        for (int i = 0; i < defaults.size(); i++) {
            if (o.key().equals(defaults.get(i).group())) index = i;
        }
        if (o.kind() == ConfigOverride.Kind.DELETE) {
            if (index < 0) throw new LcmException("cannot delete config group '" + o.key() + "': it is not selected");
            defaults.remove(index);
            return;
        }
        String option = String.valueOf(o.value());
        checkOption(o.key(), option, searchPath);
        switch (o.kind()) {
            case SET -> {
                if (index < 0) {
                    throw new LcmException("cannot override config group '" + o.key()
                            + "': it is not in the defaults list; use +" + o.key() + "=" + option + " to add it");
                }
                defaults.set(index, new Entry(o.key(), option, defaults.get(index).pkg()));
            }
            case ADD -> {
                if (index >= 0) {
                    throw new LcmException("config group '" + o.key() + "' is already selected ("
                            + defaults.get(index).name() + "); use " + o.key() + "=" + option + " to change it");
                }
                defaults.add(new Entry(o.key(), option, null));
            }
            default -> {
                if (index >= 0) defaults.set(index, new Entry(o.key(), option, defaults.get(index).pkg()));
                else defaults.add(new Entry(o.key(), option, null));
            }
        }
    }

    private static void checkOption(String group, String option, List<Path> searchPath) {
        if (find(searchPath, group + "/" + option + ".yaml") == null) {
            throw new LcmException("unknown option '" + option + "' for config group '" + group + "'; available: "
                    + String.join(", ", options(searchPath, group)));
        }
    }

    private static TreeSet<String> options(List<Path> searchPath, String group) {
        TreeSet<String> names = new TreeSet<>();
        for (Path dir : searchPath) {
            Path groupDir = dir.resolve(group);
            if (!Files.isDirectory(groupDir)) continue;
            try (Stream<Path> files = Files.list(groupDir)) {
                files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml"))
                        .forEach(n -> names.add(n.substring(0, n.length() - ".yaml".length())));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return names;
    }

    private static Path find(List<Path> searchPath, String relative) {
        for (Path dir : searchPath) {
            Path p = dir.resolve(relative);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    private static void mergeConfigFile(Map<String, Object> tree, Entry e, List<Path> searchPath) {
        String relative = (e.group() == null ? "" : e.group() + "/") + e.name() + ".yaml";
        Path file = find(searchPath, relative);
        if (file == null) {
            if (e.group() != null) checkOption(e.group(), e.name(), searchPath);
            throw new LcmException("config '" + relative + "' named in the defaults list was not found under "
                    + searchPath.get(0) + " or " + searchPath.get(1));
        }
        Map<String, Object> content = Yaml11.loadFile(file);
        if (content.containsKey("defaults")) {
            throw new LcmException("nested defaults lists are not supported by lcm4j (in " + file + ")");
        }
        String pkg = e.pkg() != null ? e.pkg() : headerPackage(file);
        if (pkg == null) pkg = e.group() == null ? "" : e.group().replace('/', '.');
        else if (pkg.equals("_global_")) pkg = "";
        else if (pkg.equals("_group_")) pkg = e.group() == null ? "" : e.group().replace('/', '.');
        ConfigTree.merge(ConfigTree.mapAt(tree, pkg), content);
    }

    private static String headerPackage(Path file) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.takeWhile(l -> l.isBlank() || l.startsWith("#"))
                    .map(PACKAGE_HEADER::matcher).filter(Matcher::matches).map(m -> m.group(1))
                    .findFirst().orElse(null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void applyValueOverride(Map<String, Object> tree, ConfigOverride o) {
        String key = o.key().replace('/', '.');
        boolean exists = ConfigTree.contains(tree, key);
        switch (o.kind()) {
            case SET -> {
                if (!exists) {
                    String near = ConfigTree.closest(key, ConfigTree.paths(tree));
                    throw new LcmException("unknown key " + key + " in override '" + o.text() + "': use ++"
                            + key + "=... to add it" + (near == null ? "" : " (closest known key: " + near + ")"));
                }
                ConfigTree.put(tree, key, o.value());
            }
            case ADD -> {
                if (exists) {
                    throw new LcmException("cannot add " + key + " in override '" + o.text()
                            + "': it already exists; use " + key + "=... or ++" + key + "=...");
                }
                ConfigTree.put(tree, key, o.value());
            }
            case FORCE -> ConfigTree.put(tree, key, o.value());
            case DELETE -> {
                if (!exists) throw new LcmException("cannot delete " + key + " in override '" + o.text()
                        + "': no such key");
                if (o.hasValue() && !Objects.equals(ConfigTree.get(tree, key), o.value())) {
                    throw new LcmException("cannot delete " + key + " in override '" + o.text() + "': its value is "
                            + ConfigTree.get(tree, key) + ", not " + o.value());
                }
                ConfigTree.remove(tree, key);
            }
        }
    }
}
