package dev.lcm4j.concepts.sonar;

import dev.lcm4j.LcmException;
import dev.lcm4j.models.ModelCard;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a SONAR card's files are. {@code checkpoint} and {@code tokenizer} are absolute paths, {@code file://} URIs,
 * or relative paths, resolved against the card's {@code files_dir} when it has one and else against the card's own
 * directory. {@code files_dir} may use {@code ${VAR}} / {@code ${VAR:-default}} and a leading {@code ~}: the built-in
 * cards say {@code ${LCM_SONAR_DIR:-~/.cache/lcm4j/sonar}}. A missing file is one error naming the file, the card,
 * where it was looked for and the card's download URL ({@code checkpoint_url} / {@code tokenizer_url}).
 */
public final class SonarFiles {
    public static final String DEFAULT_DIR = "~/.cache/lcm4j/sonar";
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private SonarFiles() {
    }

    /** The directory of the built-in SONAR cards: {@code $LCM_SONAR_DIR} (system property first), else the default. */
    public static Path sonarDir() {
        return Paths.get(expand("${LCM_SONAR_DIR:-" + DEFAULT_DIR + "}"));
    }

    /** Resolves and checks the card's {@code field} ("checkpoint" or "tokenizer"). */
    public static Path require(ModelCard card, String field) {
        Object v = card.raw().get(field);
        if (v == null || String.valueOf(v).isBlank()) {
            throw new LcmException("card '" + card.name() + "' (" + card.source() + ") has no '" + field + "' entry; name the "
                    + (field.equals("tokenizer") ? "sentencepiece.source.256000.model" : "fairseq2 .pt") + " file there");
        }
        String value = String.valueOf(v);
        Path p;
        String where;
        if (value.startsWith("file:")) {
            p = Paths.get(URI.create(value));
            where = p.toString();
        } else if (value.contains("://")) {
            throw new LcmException("card '" + card.name() + "': " + field + " " + value + " is a URL; download it and name the local file"
                    + " (or put it in " + sonarDir() + " and use the built-in card)");
        } else {
            p = Paths.get(expand(value));
            Object dir = card.raw().get("files_dir");
            Path base = dir != null ? Paths.get(expand(String.valueOf(dir)))
                    : card.source() != null && card.source().getParent() != null ? card.source().getParent() : Paths.get("");
            if (!p.isAbsolute()) p = base.resolve(p);
            where = dir != null ? base + " (files_dir " + dir + ")" : base.toString();
        }
        if (!Files.isRegularFile(p)) {
            Object url = card.raw().get(field + "_url");
            throw new LcmException("SONAR " + field + " file " + p.getFileName() + " of card '" + card.name() + "' not found: looked for "
                    + p + " in " + where + (url != null ? "; download it from " + url + " into that directory" : "")
                    + " or set LCM_SONAR_DIR to the directory that holds it");
        }
        return p;
    }

    static String expand(String s) {
        Matcher m = VAR.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String val = env(m.group(1));
            if (val == null || val.isEmpty()) val = m.group(2) == null ? "" : m.group(2);
            m.appendReplacement(sb, Matcher.quoteReplacement(val));
        }
        m.appendTail(sb);
        String out = sb.toString();
        if (out.equals("~") || out.startsWith("~/")) out = System.getProperty("user.home") + out.substring(1);
        return out;
    }

    /** System property first (tests and embedding applications), then the environment. */
    private static String env(String name) {
        String prop = System.getProperty(name);
        if (prop != null) return prop;
        Map<String, String> env = System.getenv();
        return env.get(name);
    }
}
