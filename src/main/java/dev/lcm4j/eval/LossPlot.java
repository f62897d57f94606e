package dev.lcm4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.LcmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import java.nio.file.StandardCopyOption;
import java.util.TreeMap;

/** Loss curves of a training run ({@code metrics.jsonl}: "Train" and "Valid | ..." lines) as a PNG, headless. */
public final class LossPlot {
    private LossPlot() {
    }

    /** Run name ("Train", "Valid | data=validation") -> (steps, losses). */
    public static Map<String, double[][]> curves(Path metricsJsonl) {
        Map<String, List<double[]>> pts = new LinkedHashMap<>();
        ObjectMapper json = new ObjectMapper();
        try {
            for (String line : Files.readAllLines(metricsJsonl)) {
                if (line.isBlank()) continue;
                JsonNode n = json.readTree(line);
                if (n.get("loss") == null || n.get("loss").isNull()) continue;
                pts.computeIfAbsent(n.get("run").asText(), k -> new ArrayList<>()).add(new double[] {n.get("step").asDouble(), n.get("loss").asDouble()});
            }
        } catch (IOException e) {
            throw new LcmException("cannot read " + metricsJsonl + ": " + e.getMessage(), e);
        }
        Map<String, double[][]> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<double[]>> e : pts.entrySet()) {
            // a resumed run may repeat steps: keep the last value per step
            TreeMap<Double, Double> bySteps = new TreeMap<>();
            for (double[] p : e.getValue()) bySteps.put(p[0], p[1]);
            double[] x = bySteps.keySet().stream().mapToDouble(Double::doubleValue).toArray();
            double[] y = bySteps.values().stream().mapToDouble(Double::doubleValue).toArray();
            out.put(e.getKey(), new double[][] {x, y});
        }
        return out;
    }

    /** Writes the PNG (to a temporary name, then renamed). */
    public static void write(String title, Path metricsJsonl, Path png) {
        System.setProperty("java.awt.headless", "true");
        Map<String, double[][]> curves = curves(metricsJsonl);
        if (curves.isEmpty()) throw new LcmException(metricsJsonl + " has no loss values to plot");
        XYChart chart = new XYChartBuilder().width(720).height(400).title(title).xAxisTitle("step").yAxisTitle("loss").build();
        chart.getStyler().setMarkerSize(4);
        for (Map.Entry<String, double[][]> e : curves.entrySet()) {
            XYSeries s = chart.addSeries(e.getKey(), e.getValue()[0], e.getValue()[1]);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        }
        try {
            Files.createDirectories(png.toAbsolutePath().getParent());
            // XChart appends ".png" to the name it is given: write "<name>.tmp.png", then rename
            String base = png.toAbsolutePath().toString().replaceAll("\\.png$", "") + ".tmp";
            BitmapEncoder.saveBitmap(chart, base, BitmapEncoder.BitmapFormat.PNG);
            Files.move(Path.of(base + ".png"), png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new LcmException("cannot write " + png + ": " + e.getMessage(), e);
        }
    }
}
