package dev.lcm4j.models;

import dev.lcm4j.LcmException;
import java.net.URI;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model asset card as fairseq2 and the reference use them: {@code name}, {@code model_family}, {@code model_arch},
 * optional {@code model_config} (full config or overrides of the arch, nested), {@code checkpoint} (a
 * {@code file://} URI or a path, relative to the card's directory). {@code source} is the file it came from.
 */
public record ModelCard(String name, String family, String arch, Map<String, Object> modelConfig, String checkpoint,
                        Map<String, Object> raw, Path source) {

    @SuppressWarnings("unchecked")
    public static ModelCard of(Map<String, Object> doc, Path source) {
        Object name = doc.get("name");
        Object family = doc.get("model_family");
        if (name == null || family == null) {
            throw new LcmException("model card " + source + " needs 'name' and 'model_family' keys");
        }
        Object cfg = doc.get("model_config");
        if (cfg != null && !(cfg instanceof Map)) throw new LcmException("model card " + name + " (" + source + "): model_config must be a mapping");
        Object arch = doc.get("model_arch");
        Object ckpt = doc.get("checkpoint");
        return new ModelCard(String.valueOf(name), String.valueOf(family), arch == null ? null : String.valueOf(arch),
                (Map<String, Object>) cfg, ckpt == null ? null : String.valueOf(ckpt), new LinkedHashMap<>(doc), source);
    }

    /** This card with another checkpoint (a path or {@code file://} URI). */
    public ModelCard withCheckpoint(String path) {
        Map<String, Object> doc = new LinkedHashMap<>(raw);
        doc.put("checkpoint", path);
        return new ModelCard(name, family, arch, modelConfig, path, doc, source);
    }

    /**
     * A path the card names (e.g. a sentence bank), resolved against the card's directory when relative, as
     * {@link #checkpointPath()} is.
     */
    public Path resolve(String path) {
        Path p = Paths.get(path);
        if (!p.isAbsolute() && source != null && source.getParent() != null) p = source.getParent().resolve(p);
        return p.normalize();
    }

    /** The checkpoint file this card names, or null. {@code file:///dev/null} (placeholder cards) also gives null. */
    public Path checkpointPath() {
        if (checkpoint == null || checkpoint.isBlank()) return null;
        Path p;
        if (checkpoint.startsWith("file:")) p = Paths.get(URI.create(checkpoint));
        else if (checkpoint.contains("://")) {
            throw new LcmException("model card " + name + ": checkpoint " + checkpoint + " is not a local file; lcm4j reads file:// URIs or paths");
        } else {
            p = Paths.get(checkpoint);
            if (!p.isAbsolute() && source != null && source.getParent() != null) p = source.getParent().resolve(p);
        }
        if (p.toString().equals("/dev/null")) return null;
        return p;
    }
}
