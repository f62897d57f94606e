package dev.lcm4j.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.lcm4j.testing.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The core alone (no lcm4j-spark on the class path): --engine and --spark-master are refused by name, not ignored. */
class PrepareEngineOptionTest {
    @TempDir Path tmp;

    private Cli.Outcome prepare(String... extra) throws IOException {
        Path in = Files.writeString(tmp.resolve("a.jsonl"), "{\"text\": \"Hello there.\"}\n");
        String[] base = {"prepare", "--input", in.toString(), "--output", tmp.resolve("out").toString(), "--name", "x"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return Cli.exec(all);
    }

    @Test
    void sparkEngineWithoutTheModuleSaysHowToGetIt() throws IOException {
        Cli.assertUserError(prepare("--engine", "spark"), "--engine spark needs the lcm4j-spark module", "./lcm", "mvn -q -DskipTests package");
        Cli.assertUserError(prepare("--engine", "flink"), "--engine must be standalone or spark, got 'flink'");
        Cli.assertUserError(prepare("--spark-master", "local[2]"), "--spark-master is a setting of --engine spark");
        Cli.assertUserError(prepare("--engine", "spark", "--launcher", "submitit"), "--launcher submitit", "drop one of them");
        Cli.assertUserError(prepare("--engine", "spark", "--mem-gb", "8"), "--mem-gb is a SLURM setting", "--executor-memory");
        assertFalse(Files.exists(tmp.resolve("out")));
    }
}
