package dev.infera.cli.bench;

import java.util.List;
import java.util.Locale;

/**
 * Small inline SVG charts for the HTML report: a line chart and a grouped bar chart over categories
 * (sweep levels, or metric names), with a zero-based y axis at "nice" tick steps and a legend. The
 * output is plain SVG text with no scripts or external references, so a report opens offline.
 * Non-finite values are left out of a chart (a gap in a line, a missing bar).
 */
final class SvgChart {

    /** One named series of values, one per category. */
    record Series(String name, double[] values) {
    }

    static final String[] COLORS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
    private static final int WIDTH = 520;
    private static final int HEIGHT = 320;
    private static final int LEFT = 64;
    private static final int RIGHT = 16;
    private static final int TOP = 36;
    private static final int BOTTOM = 64;

    private SvgChart() {
    }

    static String line(String title, String xTitle, List<String> categories, String yTitle, List<Series> series) {
        return chart(title, xTitle, categories, yTitle, series, false);
    }

    static String bars(String title, String xTitle, List<String> categories, String yTitle, List<Series> series) {
        return chart(title, xTitle, categories, yTitle, series, true);
    }

    private static String chart(String title, String xTitle, List<String> categories, String yTitle,
            List<Series> series, boolean bars) {
        double max = 0;
        for (Series s : series) {
            for (double v : s.values()) {
                if (Double.isFinite(v)) {
                    max = Math.max(max, v);
                }
            }
        }
        double step = niceStep(max > 0 ? max / 5 : 1);
        double top = Math.max(step, Math.ceil(max / step) * step);
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">", WIDTH, HEIGHT, WIDTH, HEIGHT, esc(title)));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>");
        text(sb, WIDTH / 2.0, 20, "middle", "font-weight:bold", title);
        for (double y = 0; y <= top + step / 2; y += step) {
            double py = TOP + plotH - y / top * plotH;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>",
                    LEFT, py, LEFT + plotW, py));
            text(sb, LEFT - 6, py + 4, "end", "", tick(y, step));
        }
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>", LEFT,
                TOP + plotH, LEFT + plotW, TOP + plotH));
        int n = categories.size();
        double slot = plotW / (double) Math.max(1, n);
        for (int i = 0; i < n; i++) {
            text(sb, LEFT + slot * (i + 0.5), TOP + plotH + 16, "middle", "", categories.get(i));
        }
        text(sb, LEFT + plotW / 2.0, TOP + plotH + 34, "middle", "", xTitle);
        sb.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\" "
                + "transform=\"rotate(-90 14 %.1f)\">%s</text>", TOP + plotH / 2.0, TOP + plotH / 2.0, esc(yTitle)));
        for (int s = 0; s < series.size(); s++) {
            String color = COLORS[s % COLORS.length];
            double[] v = series.get(s).values();
            if (bars) {
                double barW = slot * 0.8 / series.size();
                for (int i = 0; i < Math.min(n, v.length); i++) {
                    if (Double.isFinite(v[i])) {
                        double h = v[i] / top * plotH;
                        sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                                + "fill=\"%s\"><title>%s: %s</title></rect>", LEFT + slot * i + slot * 0.1 + barW * s,
                                TOP + plotH - h, barW, h, color, esc(series.get(s).name()), tick(v[i], step / 100)));
                    }
                }
            } else {
                StringBuilder path = new StringBuilder();
                for (int i = 0; i < Math.min(n, v.length); i++) {
                    if (!Double.isFinite(v[i])) {
                        continue;
                    }
                    double px = LEFT + slot * (i + 0.5);
                    double py = TOP + plotH - v[i] / top * plotH;
                    path.append(path.isEmpty() ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", px, py));
                    sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\">"
                            + "<title>%s: %s</title></circle>", px, py, color, esc(series.get(s).name()),
                            tick(v[i], step / 100)));
                }
                sb.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(color)
                        .append("\" stroke-width=\"2\"/>");
            }
            double lx = LEFT + 8 + s * (plotW / (double) Math.max(1, series.size()));
            sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>",
                    lx, HEIGHT - 18, color));
            text(sb, lx + 16, HEIGHT - 8, "start", "", series.get(s).name());
        }
        return sb.append("</svg>").toString();
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * magnitude >= raw) {
                return m * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String tick(double v, double step) {
        int decimals = step >= 1 ? 0 : (int) Math.min(4, Math.ceil(-Math.log10(step)));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static void text(StringBuilder sb, double x, double y, String anchor, String style, String text) {
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"12\"%s>%s</text>",
                x, y, anchor, style.isEmpty() ? "" : " style=\"" + style + "\"", esc(text)));
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
