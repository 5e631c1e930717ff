package dev.infera.core.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

    @Test
    void parsesAllValueKindsInDocumentOrder() {
        Object v = Json.parse(" {\"b\": [1, -2.5, 1e3, true, false, null], \"a\": {\"x\": \"y\"}, \"big\": 123456789012345678901234567890} ");
        Map<String, Object> m = Json.asObject(v, "doc");
        assertThat(m.keySet()).containsExactly("b", "a", "big");
        assertThat(Json.asArray(m.get("b"), "b")).containsExactly(1L, -2.5, 1000.0, true, false, null);
        assertThat(m.get("a")).isEqualTo(Map.of("x", "y"));
        assertThat(m.get("big")).isEqualTo(new BigInteger("123456789012345678901234567890"));
    }

    @Test
    void decodesEscapesIncludingSurrogatePairs() {
        assertThat(Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83e\\udd99\"")).isEqualTo("a\"b\\c/d\b\f\n\r\té🦙");
    }

    @Test
    void longBoundaries() {
        assertThat(Json.parse("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThat(Json.parse("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
        assertThat(Json.parse("9223372036854775808")).isEqualTo(new BigInteger("9223372036854775808"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"a\":1,}|1|8|expected a string key",
        "[1,]|1|4|expected a value",
        "[01]|1|3|leading zeros",
        "{\"a\":1}x|1|8|unexpected text after",
        "\"abc|1|5|unterminated string",
        "{\"a\":1,\"a\":2}|1|8|duplicate key",
        "tru|1|1|expected true",
        "[1 2]|1|4|expected ',' or ']'",
        "\"\\x\"|1|3|invalid escape",
        "1.|1|3|after the decimal point",
        "-|1|2|expected a digit",
        "@|1|1|unexpected character",
    })
    void malformedInputNamesLineAndColumn(String text, int line, int column, String message) {
        assertThatThrownBy(() -> Json.parse(text))
                .isInstanceOf(JsonException.class)
                .hasMessageContaining(message)
                .satisfies(e -> {
                    JsonException je = (JsonException) e;
                    assertThat(je.line()).isEqualTo(line);
                    assertThat(je.column()).isEqualTo(column);
                });
    }

    @Test
    void errorOnLaterLineCountsLines() {
        assertThatThrownBy(() -> Json.parse("{\n  \"a\": 1,\n  \"b\": [1, 2,, 3]\n}"))
                .isInstanceOf(JsonException.class)
                .satisfies(e -> {
                    assertThat(((JsonException) e).line()).isEqualTo(3);
                    assertThat(((JsonException) e).column()).isEqualTo(14);
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "\"a\nb\"", "[1] [2]", "{\"a\" 1}", "nul", "[-]", "1e", "\"\\u12g4\""})
    void rejectsMalformed(String text) {
        assertThatThrownBy(() -> Json.parse(text)).isInstanceOf(JsonException.class);
    }

    @Test
    void deepNestingIsRejectedNotAStackOverflow() {
        String deep = "[".repeat(100_000);
        assertThatThrownBy(() -> Json.parse(deep)).isInstanceOf(JsonException.class).hasMessageContaining("nesting");
    }

    @Test
    void writesCompactAndPretty() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ids", new int[] {1, 2});
        m.put("text", "q\"\\\n\u0001\u2028é");
        m.put("none", null);
        m.put("empty", List.of());
        m.put("x", 2.5);
        assertThat(Json.write(m)).isEqualTo(
                "{\"ids\":[1,2],\"text\":\"q\\\"\\\\\\n\\u0001\\u2028é\",\"none\":null,\"empty\":[],\"x\":2.5}");
        assertThat(Json.writePretty(Map.of("a", List.of(1, 2)))).isEqualTo("{\n  \"a\": [\n    1,\n    2\n  ]\n}");
    }

    @Test
    void writerRejectsWhatJsonCannotHold() {
        assertThatThrownBy(() -> Json.write(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.write(new Object())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.write(Map.of(1, 2))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void randomValuesRoundTrip() {
        Random random = new Random(20240601);
        for (int i = 0; i < 500; i++) {
            Object value = randomValue(random, 0);
            assertThat(Json.parse(Json.write(value))).isEqualTo(value);
            assertThat(Json.parse(Json.writePretty(value))).isEqualTo(value);
        }
    }

    @Test
    void parsesLargeDocumentsQuickly() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < 200_000; i++) {
            sb.append(i == 0 ? "" : ",").append("\"tok").append(i).append("\":").append(i);
        }
        sb.append('}');
        long t0 = System.nanoTime();
        Map<String, Object> m = Json.parseObject(sb.toString());
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(m).hasSize(200_000).containsEntry("tok199999", 199_999L);
        assertThat(millis).as("parse time of a 3 MB object").isLessThan(5_000);
    }

    private static Object randomValue(Random r, int depth) {
        int kind = r.nextInt(depth > 3 ? 5 : 7);
        return switch (kind) {
            case 0 -> null;
            case 1 -> r.nextBoolean();
            case 2 -> r.nextLong();
            case 3 -> r.nextDouble() * Math.pow(10, r.nextInt(40) - 20);
            case 4 -> randomString(r);
            case 5 -> {
                List<Object> l = new ArrayList<>();
                int n = r.nextInt(5);
                for (int i = 0; i < n; i++) {
                    l.add(randomValue(r, depth + 1));
                }
                yield l;
            }
            default -> {
                Map<String, Object> m = new LinkedHashMap<>();
                int n = r.nextInt(5);
                for (int i = 0; i < n; i++) {
                    m.put(randomString(r) + i, randomValue(r, depth + 1));
                }
                yield m;
            }
        };
    }

    private static String randomString(Random r) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(8);
        for (int i = 0; i < n; i++) {
            int pick = r.nextInt(4);
            if (pick == 0) {
                sb.append((char) r.nextInt(0x20));
            } else if (pick == 1) {
                sb.appendCodePoint(0x1F300 + r.nextInt(200));
            } else if (pick == 2) {
                sb.append("\"\\/é".charAt(r.nextInt(4)));
            } else {
                sb.append((char) ('a' + r.nextInt(26)));
            }
        }
        return sb.toString();
    }
}
