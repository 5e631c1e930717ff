package dev.infera.core.json;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict recursive-descent JSON parser (RFC 8259) over a string. Objects become
 * {@link LinkedHashMap}s in document order, arrays {@link ArrayList}s, integers {@link Long} (or
 * {@link BigInteger} when they do not fit), other numbers {@link Double}, and JSON {@code null} Java
 * {@code null}. Duplicate object keys, trailing commas, comments, unescaped control characters,
 * leading zeros and text after the value are all rejected. Nesting depth is bounded so hostile input
 * cannot overflow the stack.
 *
 * <p>Strings without escapes are taken as substrings of the input, so multi-megabyte files such as a
 * tokenizer's vocabulary parse without per-character copying.
 */
final class JsonParser {

    static final int MAX_DEPTH = 1000;

    private final String text;
    private final int length;
    private int pos;
    private int depth;

    JsonParser(String text) {
        this.text = text;
        this.length = text.length();
    }

    Object parseDocument() {
        skipWhitespace();
        Object value = parseValue();
        skipWhitespace();
        if (pos < length) {
            throw error("unexpected text after the JSON value");
        }
        return value;
    }

    private Object parseValue() {
        if (pos >= length) {
            throw error("unexpected end of input, expected a value");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> parseObject();
            case '[' -> parseArray();
            case '"' -> parseString();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield parseNumber();
                }
                throw error("unexpected character " + describe(c) + ", expected a value");
            }
        };
    }

    private Map<String, Object> parseObject() {
        enter();
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            depth--;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key");
            }
            int keyStart = pos;
            String key = parseString();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object value = parseValue();
            if (map.containsKey(key)) {
                pos = keyStart;
                throw error("duplicate key \"" + key + "\"");
            }
            map.put(key, value);
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == '}') {
                pos++;
                depth--;
                return map;
            } else {
                throw error("expected ',' or '}' in object");
            }
        }
    }

    private List<Object> parseArray() {
        enter();
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            depth--;
            return list;
        }
        while (true) {
            skipWhitespace();
            list.add(parseValue());
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                depth--;
                return list;
            } else {
                throw error("expected ',' or ']' in array");
            }
        }
    }

    private String parseString() {
        int start = ++pos; // skip the opening quote
        // Fast path: no escapes, take a substring.
        while (pos < length) {
            char c = text.charAt(pos);
            if (c == '"') {
                return text.substring(start, pos++);
            }
            if (c == '\\') {
                break;
            }
            if (c < 0x20) {
                throw error("unescaped control character " + describe(c) + " in string");
            }
            pos++;
        }
        StringBuilder sb = new StringBuilder(pos - start + 16);
        sb.append(text, start, pos);
        while (pos < length) {
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return sb.toString();
            }
            if (c == '\\') {
                pos++;
                if (pos >= length) {
                    break;
                }
                char e = text.charAt(pos++);
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> sb.append(parseHex4());
                    default -> {
                        pos--;
                        throw error("invalid escape \\" + describe(e));
                    }
                }
            } else if (c < 0x20) {
                throw error("unescaped control character " + describe(c) + " in string");
            } else {
                sb.append(c);
                pos++;
            }
        }
        throw error("unterminated string");
    }

    private char parseHex4() {
        if (pos + 4 > length) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos), 16);
            if (d < 0) {
                throw error("invalid hex digit in \\u escape");
            }
            v = (v << 4) | d;
            pos++;
        }
        return (char) v;
    }

    private Object parseNumber() {
        int start = pos;
        if (text.charAt(pos) == '-') {
            pos++;
        }
        if (pos >= length || !isDigit(text.charAt(pos))) {
            throw error("expected a digit");
        }
        if (text.charAt(pos) == '0') {
            pos++;
            if (pos < length && isDigit(text.charAt(pos))) {
                throw error("leading zeros are not allowed");
            }
        } else {
            while (pos < length && isDigit(text.charAt(pos))) {
                pos++;
            }
        }
        boolean integral = true;
        if (pos < length && text.charAt(pos) == '.') {
            integral = false;
            pos++;
            if (pos >= length || !isDigit(text.charAt(pos))) {
                throw error("expected a digit after the decimal point");
            }
            while (pos < length && isDigit(text.charAt(pos))) {
                pos++;
            }
        }
        if (pos < length && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
            integral = false;
            pos++;
            if (pos < length && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
                pos++;
            }
            if (pos >= length || !isDigit(text.charAt(pos))) {
                throw error("expected a digit in the exponent");
            }
            while (pos < length && isDigit(text.charAt(pos))) {
                pos++;
            }
        }
        String literal = text.substring(start, pos);
        if (integral) {
            if (pos - start <= 18) {
                return Long.parseLong(literal);
            }
            BigInteger big = new BigInteger(literal);
            return big.bitLength() < 64 ? (Object) big.longValue() : big;
        }
        return Double.parseDouble(literal);
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) {
            throw error("invalid literal, expected " + word);
        }
        pos += word.length();
        return value;
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private char peek() {
        if (pos >= length) {
            throw error("unexpected end of input");
        }
        return text.charAt(pos);
    }

    private void skipWhitespace() {
        while (pos < length) {
            char c = text.charAt(pos);
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                pos++;
            } else {
                return;
            }
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String describe(char c) {
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private JsonException error(String what) {
        int at = Math.min(pos, length);
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < at; i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new JsonException(what, line, at - lineStart + 1, at);
    }
}
