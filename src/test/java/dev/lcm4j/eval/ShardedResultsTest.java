package dev.lcm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sharding of a run's batches and the merge of the shards' results on rank 0. */
class ShardedResultsTest {
    /** Batch b reports metric "a" for each sample, "b" from its second sample on, and a NaN "c" in batch 2. */
    private static void report(Results sink, int batch, int samples) {
        Results.Batch out = sink.batch(batch);
        for (int k = 0; k < samples; k++) {
            int index = batch * 10 + k;
            out.add("a", index * 0.1);
            if (k > 0 || batch > 0) out.add("b", 1.0 / (index + 3));
            if (batch == 2) out.add("c", Double.NaN);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("index", index);
            line.put("prediction", "p" + index);
            line.put("metrics", Map.of("a", index * 0.1, "nan", Double.NaN));
            line.put("shape", List.of(index, 16));
            out.addRaw(line);
        }
    }

    @Test
    void threeShardsMergeToTheSingleProcessResults() {
        int batches = 7;
        Results single = new Results();
        for (int b = 0; b < batches; b++) report(single, b, 3);
        List<String> messages = new ArrayList<>();
        // ranks in reverse, so the merge cannot rely on the order of the messages
        for (int rank = 2; rank >= 0; rank--) {
            Shard shard = new Shard(rank, 3);
            Results part = new Results();
            for (int b = 0; b < batches; b++) if (shard.owns(b)) report(part, b, 3);
            messages.add(part.toJson());
        }
        Results merged = Results.merge(messages);
        assertEquals(single.means(), merged.means());
        assertEquals(List.of("a", "b", "c"), new ArrayList<>(merged.means().keySet()), "first-reported order");
        assertTrue(merged.means().get("c").isNaN());
        assertEquals(String.valueOf(single.raw()), String.valueOf(merged.raw()));
        assertEquals(0, merged.raw().get(0).get("index"));
        assertTrue(((Double) ((Map<?, ?>) merged.raw().get(4).get("metrics")).get("nan")).isNaN(), "NaN crosses as a number");
    }

    @Test
    void aBatchReportedTwiceIsAnError() {
        Results r = new Results();
        report(r, 1, 1);
        String m = r.toJson();
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> Results.merge(List.of(m, m)))
                .getMessage().contains("batch 1"));
    }

    @Test
    void shardsOwnBatchesRoundRobin() {
        Shard s = new Shard(1, 3);
        assertFalse(s.owns(0));
        assertTrue(s.owns(1) && s.owns(4) && !s.owns(5));
        // 10 samples in batches of 3: 3, 3, 3, 1 -> shard 1 of 3 has batch 1 (3 samples); shard 0 has batches 0 and 3
        assertEquals(3, s.samplesOf(10, 3));
        assertEquals(4, new Shard(0, 3).samplesOf(10, 3));
        assertEquals(10, Shard.single().samplesOf(10, 3));
    }

    @Test
    void metricsCrossWithTheirNaNs() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("x", 0.1 + 0.2);
        m.put("y", Double.NaN);
        Map<String, Double> back = Results.metricsFromJson(Results.metricsToJson(m));
        assertEquals(m, back);
        assertEquals(List.of("x", "y"), new ArrayList<>(back.keySet()));
    }
}
