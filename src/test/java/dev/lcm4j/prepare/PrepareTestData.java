package dev.lcm4j.prepare;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small seeded corpora for the prepare tests. */
final class PrepareTestData {
    private static final String[] WORDS = ("the council adopted a proposal on fisheries and the commission replied"
            + " that member states must report their budgets before the next session of parliament while farmers"
            + " asked for clear rules about water energy transport and trade").split(" ");

    private PrepareTestData() {
    }

    /** {@code n} documents of 1..6 sentences each, some with paragraph breaks. */
    static List<String> documents(int n, long seed) {
        Random r = new Random(seed);
        List<String> docs = new ArrayList<>();
        for (int d = 0; d < n; d++) {
            StringBuilder sb = new StringBuilder();
            int sentences = 1 + r.nextInt(6);
            for (int s = 0; s < sentences; s++) {
                if (s > 0) sb.append(r.nextInt(4) == 0 ? "\n\n" : " ");
                int words = 3 + r.nextInt(12);
                for (int w = 0; w < words; w++) {
                    String word = WORDS[r.nextInt(WORDS.length)];
                    if (w == 0) word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
                    sb.append(w == 0 ? "" : " ").append(word);
                }
                sb.append(r.nextInt(5) == 0 ? "?" : ".");
            }
            docs.add(sb.toString());
        }
        return docs;
    }

    static String json(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    /** One {"id": ..., "text": ...} line per document. */
    static Path jsonl(Path file, List<String> docs) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < docs.size(); i++) {
            sb.append("{\"id\": \"doc").append(i).append("\", \"text\": ").append(json(docs.get(i))).append("}\n");
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
        return file;
    }
}
