package dev.lcm4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import dev.lcm4j.LcmException;

/** Where the launcher's files live: {@code $LCM4J_HOME} (set by ./lcm), else the working directory. */
final class LauncherHome {
    private LauncherHome() {}

    static Path recipes() {
        String home = System.getenv("LCM4J_HOME");
        Path p = home != null ? Paths.get(home, "recipes") : Paths.get("recipes");
        if (!Files.isDirectory(p)) throw new LcmException("recipes directory " + p.toAbsolutePath() + " not found; run through ./lcm or set LCM4J_HOME");
        return p;
    }
}
