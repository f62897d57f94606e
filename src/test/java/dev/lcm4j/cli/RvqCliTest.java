package dev.lcm4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.io.Npy;
import dev.lcm4j.models.quant.QuantizerFiles;
import dev.lcm4j.models.quant.ResidualQuantizer;
import dev.lcm4j.testing.Cli;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./lcm rvq fit|encode|decode|report} end to end on synthetic datacards. */
@Tag("slow")
class RvqCliTest {
    @TempDir Path tmp;

    @BeforeEach
    void data() {
        TorchRuntime.init();
        SyntheticData.write(tmp.resolve("d"), "rvqsynth", 60, 8, 4);
        System.setProperty("LCM_CARDS_PATH", tmp.resolve("d").toString());
    }

    @AfterEach
    void clear() {
        System.clearProperty("LCM_CARDS_PATH");
    }

    Cli.Outcome fit(String out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("rvq", "fit", "--ds", "rvqsynth=train", "--codebooks", "3", "--units", "8",
                "--iterations", "10", "--output", tmp.resolve(out).toString()));
        args.addAll(List.of(extra));
        return Cli.exec(args);
    }

    @Test
    void fitIsSeededAndEncodeDecodeReportAgreeWithTheQuantizer() throws Exception {
        Cli.Outcome a = fit("a.pt", "--seed", "3");
        assertEquals(0, a.code(), a.err());
        assertTrue(a.out().contains("reconstruction error on") && a.out().contains("held-out"), a.out());
        assertEquals(0, fit("b.pt", "--seed", "3").code());
        assertEquals(0, fit("c.pt", "--seed", "4").code());
        ResidualQuantizer qa = QuantizerFiles.read(tmp.resolve("a.pt"));
        assertArrayEquals(Tensors.toFloats(qa.codebooks()), Tensors.toFloats(QuantizerFiles.read(tmp.resolve("b.pt")).codebooks()), "same seed, same fit");
        assertFalse(java.util.Arrays.equals(Tensors.toFloats(qa.codebooks()), Tensors.toFloats(QuantizerFiles.read(tmp.resolve("c.pt")).codebooks())), "another seed");
        String card = Files.readString(tmp.resolve("a.yaml"));
        assertTrue(card.contains("seed: 3") && card.contains("rvqsynth=train") && card.contains("num_units: 8"), card);

        // encode [2, 5, 8] vectors, decode with 2 of 3 codebooks: shapes kept, z_2 = C_0[u_0] + C_1[u_1] summed here
        Random rnd = new Random(1);
        float[] x = new float[2 * 5 * 8];
        for (int i = 0; i < x.length; i++) x[i] = (float) (0.02 * rnd.nextGaussian());
        Npy.write(tmp.resolve("x.npy"), Npy.Array.ofFloats(x, 2, 5, 8));
        Cli.Outcome enc = Cli.exec("rvq", "encode", "--quantizer", tmp.resolve("a.pt").toString(), "--input", tmp.resolve("x.npy").toString(),
                "--output", tmp.resolve("codes.npy").toString());
        assertEquals(0, enc.code(), enc.err());
        Npy.Array codes = Npy.read(tmp.resolve("codes.npy"));
        assertArrayEquals(new long[] {2, 5, 3}, codes.shape());
        assertArrayEquals(Tensors.toLongs(qa.encode(Tensors.floats(x, 10, 8))), codes.toLongArray());
        Cli.Outcome dec = Cli.exec("rvq", "decode", "--quantizer", tmp.resolve("a.pt").toString(), "--input", tmp.resolve("codes.npy").toString(),
                "--output", tmp.resolve("z.npy").toString(), "--codebooks", "2");
        assertEquals(0, dec.code(), dec.err());
        Npy.Array z = Npy.read(tmp.resolve("z.npy"));
        assertArrayEquals(new long[] {2, 5, 8}, z.shape());
        float[] books = Tensors.toFloats(qa.codebooks());
        long[] c = codes.toLongArray();
        float[] zs = z.toFloatArray();
        for (int i = 0; i < 10; i++) for (int j = 0; j < 8; j++) {
            double want = books[(int) ((0 * 8 + c[i * 3]) * 8 + j)] + (double) books[(int) ((1 * 8 + c[i * 3 + 1]) * 8 + j)];
            assertEquals(want, zs[i * 8 + j], 1e-7, "z_2 of row " + i);
        }
        Cli.Outcome rep = Cli.exec("rvq", "report", "--quantizer", tmp.resolve("a.pt").toString(), "--input", tmp.resolve("x.npy").toString());
        assertEquals(0, rep.code(), rep.err());
        List<ResidualQuantizer.ReconstructionError> errors = qa.reconstructionErrors(Tensors.floats(x, 10, 8));
        assertTrue(rep.out().contains(String.format("%16.6g", errors.get(3).meanSquaredL2())), rep.out());
        Cli.Outcome repDs = Cli.exec("rvq", "report", "--quantizer", tmp.resolve("a.pt").toString(), "--ds", "rvqsynth=validation");
        assertEquals(0, repDs.code(), repDs.err());
    }

    @Test
    void badInputIsOneLineAndWritesNothing() {
        Cli.assertUserError(Cli.exec("rvq", "fit", "--ds", "rvqsynth=train", "--units", "100000", "--output", tmp.resolve("big.pt").toString()),
                "--units 100000", "training vectors", "--max-vectors");
        Cli.assertUserError(fit("p.pt", "--preset", "sonar"), "unknown quantizer preset 'sonar'", "sonar_paper");
        Cli.assertUserError(Cli.exec("rvq", "fit", "--ds", "rvqsynth=train", "--preset", "sonar_paper", "--output", tmp.resolve("s.pt").toString()),
                "preset sonar_paper is sized for 1024-d", "dimension 8");
        Cli.assertUserError(fit("col.pt", "--column", "x"), "--column applies to --parquet only");
        assertFalse(Files.exists(tmp.resolve("big.pt")) || Files.exists(tmp.resolve("p.pt")) || Files.exists(tmp.resolve("s.pt"))
                || Files.exists(tmp.resolve("big.yaml")), "nothing written");
        assertEquals(0, fit("q.pt").code());
        Npy.write(tmp.resolve("x5.npy"), Npy.Array.ofFloats(new float[10], 2, 5));
        Cli.assertUserError(Cli.exec("rvq", "encode", "--quantizer", tmp.resolve("q.pt").toString(), "--input", tmp.resolve("x5.npy").toString(),
                "--output", tmp.resolve("o.npy").toString()), "x5.npy has vectors of dimension 5", "dimension 8", "./lcm rvq fit");
        Cli.assertUserError(Cli.exec("rvq", "report", "--quantizer", tmp.resolve("q.pt").toString(), "--parquet", tmp.resolve("d").toString(),
                "--split", "train", "--column", "text_sentences_sonar_emb", "--input", tmp.resolve("x5.npy").toString()), "one of --input");
        Cli.assertUserError(Cli.exec("rvq", "encode", "--quantizer", tmp.resolve("none.pt").toString(), "--input", tmp.resolve("x5.npy").toString(),
                "--output", tmp.resolve("o.npy").toString()), "none.pt does not exist", "./lcm rvq fit");
        Npy.write(tmp.resolve("codes.npy"), Npy.Array.ofLongs(new long[] {0, 9}, 1, 2));
        Cli.assertUserError(Cli.exec("rvq", "decode", "--quantizer", tmp.resolve("q.pt").toString(), "--input", tmp.resolve("codes.npy").toString(),
                "--output", tmp.resolve("o.npy").toString()), "unit 9", "0..7");
        assertFalse(Files.exists(tmp.resolve("o.npy")));
    }
}
