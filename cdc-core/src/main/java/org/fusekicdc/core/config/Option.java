package org.fusekicdc.core.config;

import java.util.List;
import java.util.function.LongFunction;

/**
 * Everything about one {@code cdc:} configuration option in one place, as Kafka's
 * {@code ConfigDef} keeps it: name, type, default as a typed value, validator and meaning.
 * Parsers take the default and the validator from here, and the reference tables in
 * {@code docs/} are generated from it ({@code OptionTable}), so the code, the tables and the
 * docs cannot disagree.
 *
 * @param name         local name in the {@code cdc:} namespace
 * @param type         what the value must be, as the docs say it
 * @param defaultValue the value used when the option is absent; null when there is none
 * @param defaultText  how the docs describe the default; null for the default value itself
 * @param validator    what a given value must satisfy
 * @param doc          what the option does
 * @param <T>          the type of a parsed value
 */
public record Option<T>(String name, String type, T defaultValue, String defaultText, Validator<T> validator, String doc) {
    /** The default text of an option that must be given. */
    public static final String REQUIRED = "required";

    /** What a value must satisfy. */
    @FunctionalInterface
    public interface Validator<T> {
        /**
         * Null when {@code value} is acceptable, else what is wrong and the fix, to follow the
         * option's name in an error message (e.g. "must be at least 1, got 0").
         */
        String problem(T value);
    }

    /** A whole number from {@code min} to {@code max}; {@code tooHigh} explains a value above {@code max}, or is null. */
    public record Range(long min, long max, LongFunction<String> tooHigh) implements Validator<Long> {
        @Override
        public String problem(Long value) {
            if ( value < min )
                return "must be at least " + min + ", got " + value;
            if ( value > max )
                return tooHigh == null ? "must be at most " + max + ", got " + value : tooHigh.apply(value);
            return null;
        }
    }

    /** One of a fixed list of words. */
    public record OneOf(List<String> allowed) implements Validator<String> {
        @Override
        public String problem(String value) {
            return allowed.contains(value) ? null : "must be one of " + String.join(", ", allowed) + ", got '" + value + "'";
        }
    }

    private static <T> Validator<T> anyValue() {
        return v -> null;
    }

    /** A whole number with a default; bound it with {@link #range}. */
    public static Option<Long> integer(String name, String type, long defaultValue, String doc) {
        return new Option<>(name, type, defaultValue, null, anyValue(), doc);
    }

    public static Option<Boolean> bool(String name, boolean defaultValue, String doc) {
        return new Option<>(name, "boolean", defaultValue, null, anyValue(), doc);
    }

    /** A text with a default. */
    public static Option<String> text(String name, String type, String defaultValue, String doc) {
        return new Option<>(name, type, defaultValue, null, anyValue(), doc);
    }

    /** One of {@code allowed}, {@code defaultValue} when absent. */
    public static Option<String> oneOf(String name, String type, String defaultValue, List<String> allowed, String doc) {
        return new Option<>(name, type, defaultValue, null, new OneOf(List.copyOf(allowed)), doc);
    }

    /** An option without a default value (a text, a path, a description): {@code defaultText} says what absence means. */
    public static <T> Option<T> withoutDefault(String name, String type, String defaultText, String doc) {
        return new Option<>(name, type, null, defaultText, anyValue(), doc);
    }

    /** An option that must be given. */
    public static <T> Option<T> required(String name, String type, String doc) {
        return withoutDefault(name, type, REQUIRED, doc);
    }

    /** This option with the docs describing its default as {@code text} (e.g. "0 (no limit)"). */
    public Option<T> defaultText(String text) {
        return new Option<>(name, type, defaultValue, text, validator, doc);
    }

    /** This whole-number option bounded to {@code min..max}. */
    public Option<T> range(long min, long max) {
        return range(min, max, null);
    }

    /** This whole-number option bounded to {@code min..max}, with {@code tooHigh} saying why a value is too high and what to use. */
    @SuppressWarnings("unchecked")
    public Option<T> range(long min, long max, LongFunction<String> tooHigh) {
        return new Option<>(name, type, defaultValue, defaultText, (Validator<T>)new Range(min, max, tooHigh), doc);
    }

    /** The default as the docs show it. */
    public String defaultDoc() {
        return defaultText != null ? defaultText : String.valueOf(defaultValue);
    }

    /** Null when {@code value} is acceptable, else what is wrong and the fix. */
    public String problem(T value) {
        return validator.problem(value);
    }

    /** Whether the value is a description (a resource) rather than a literal: its type says "resource". */
    public boolean takesResource() {
        return type.startsWith("resource");
    }

    /** Whether the value may be a resource (an IRI) or a literal: its type says "resource or string". */
    public boolean takesResourceOrLiteral() {
        return type.startsWith("resource or string");
    }

    /** Whether the option may be given more than once: its type says "(repeatable)". */
    public boolean repeatable() {
        return type.endsWith("(repeatable)");
    }

    /** The prefixed name, e.g. {@code cdc:logDirectory}. */
    public String prefixedName() {
        return "cdc:" + name;
    }
}
