package dev.lcm4j.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/ARCHITECTURE.md stays a map a maintainer can trust: its class index names every class of src/main/java, in
 * the right package, and names nothing that no longer exists; no file in the repository cites a file that is not in it.
 */
class ArchitectureDocTest {
    static final Path SRC = Path.of("src/main/java/dev/lcm4j");
    /** The Spark module's sources (package dev.lcm4j.spark), indexed in the same document. */
    static final Path SPARK_SRC = Path.of("lcm4j-spark/src/main/java/dev/lcm4j");
    static final Path DOC = Path.of("docs/ARCHITECTURE.md");

    @Test
    void classIndexNamesEveryClassInItsPackage() throws IOException {
        String doc = Files.readString(DOC);
        String index = doc.substring(doc.indexOf("## Class index"));
        List<String> missing = new ArrayList<>(), stale = new ArrayList<>();
        List<String> listed = new ArrayList<>();
        Matcher section = Pattern.compile("(?m)^### `([\\w.()]+)`\\s*$").matcher(index);
        List<int[]> bounds = new ArrayList<>();
        List<String> pkgs = new ArrayList<>();
        while (section.find()) {
            bounds.add(new int[] {section.start(), section.end()});
            pkgs.add(section.group(1));
        }
        for (int i = 0; i < pkgs.size(); i++) {
            String body = index.substring(bounds.get(i)[1], i + 1 < pkgs.size() ? bounds.get(i + 1)[0] : index.length());
            Path dir = pkgs.get(i).equals("(root)") ? SRC : SRC.resolve(pkgs.get(i).replace('.', '/'));
            if (!Files.isDirectory(dir)) dir = SPARK_SRC.resolve(pkgs.get(i).replace('.', '/'));
            Matcher row = Pattern.compile("(?m)^\\| `(\\w+)` \\|").matcher(body);
            while (row.find()) {
                listed.add(pkgs.get(i) + "." + row.group(1));
                if (!Files.isRegularFile(dir.resolve(row.group(1) + ".java"))) stale.add(pkgs.get(i) + "." + row.group(1));
            }
        }
        for (Path root : List.of(SRC, SPARK_SRC)) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java") && !p.endsWith("package-info.java")).sorted().toList()) {
                    String rel = root.relativize(f.getParent()).toString().replace('/', '.');
                    String key = (rel.isEmpty() ? "(root)" : rel) + "." + f.getFileName().toString().replace(".java", "");
                    if (!listed.contains(key)) missing.add(key);
                }
            }
        }
        assertEquals(List.of(), missing, "classes missing from the class index of docs/ARCHITECTURE.md");
        assertEquals(List.of(), stale, "classes in the class index of docs/ARCHITECTURE.md that do not exist");
    }

    @Test
    void docsLinkOnlyToFilesThatExist() throws IOException {
        List<String> broken = new ArrayList<>();
        Pattern link = Pattern.compile("\\]\\(([^)#\\s]+)(#[^)]*)?\\)");
        try (Stream<Path> files = Stream.concat(Files.walk(Path.of("docs")), Stream.of(Path.of("README.md"), Path.of("bench/README.md")))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".md")).toList()) {
                Matcher m = link.matcher(Files.readString(f));
                while (m.find()) {
                    String target = m.group(1);
                    if (target.startsWith("http")) continue;
                    if (!Files.exists(f.getParent() == null ? Path.of(target) : f.getParent().resolve(target))) broken.add(f + " -> " + target);
                }
            }
        }
        assertTrue(broken.isEmpty(), "links to missing files: " + broken);
    }
}
