package org.fusekicdc.core.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.fusekicdc.core.CdcConfigException;

/**
 * The settings of one sink, source or topic reader as written in the configuration (option name
 * to text), with typed getters whose errors name its owner, the option, the value and the fix. Values may refer to
 * environment variables as {@code ${env:NAME}}, the only way to pass secrets.
 */
public final class OptionValues {
    private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");
    private static final Pattern VARIABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final String name;
    private final String owner;
    private final Map<String, String> values;
    private final Function<String, String> environment;

    /** The options of the sink named {@code sink}. */
    public OptionValues(String sink, Map<String, String> values) {
        this(sink, values, System::getenv);
    }

    /** The options of the sink named {@code sink}, with {@code ${env:NAME}} looked up in {@code environment}. */
    public OptionValues(String sink, Map<String, String> values, Function<String, String> environment) {
        this("Sink", sink, values, environment);
    }

    /**
     * Options of something other than a sink, e.g. a source: {@code kind} ("Source") starts
     * every error message.
     */
    public OptionValues(String kind, String name, Map<String, String> values, Function<String, String> environment) {
        this(name, values, environment, kind + " '" + name + "'");
    }

    private OptionValues(String name, Map<String, String> values, Function<String, String> environment, String owner) {
        this.name = name;
        this.owner = owner;
        this.values = new LinkedHashMap<>(values);
        this.environment = environment;
    }

    /** The options of a follower's {@code cdc:follow} (same syntax, errors name the follower). */
    public static OptionValues forFollower(String dataset, Map<String, String> values) {
        return new OptionValues("follow", values, System::getenv, "Dataset '" + dataset + "', cdc:follow");
    }

    /** The name of the sink or source these options belong to (its {@code cdc:name}, else its type's default). */
    public String name() {
        return name;
    }

    public boolean has(String option) {
        return values.containsKey(option);
    }

    public String string(String option, String dft) {
        String v = values.get(option);
        return v == null ? dft : expand(option, v);
    }

    public String required(String option, String example) {
        String v = values.get(option);
        if ( v == null || v.isBlank() )
            throw error(option, "is required, for example " + example);
        return expand(option, v);
    }

    public long number(String option, long dft, long min, long max) {
        String v = values.get(option);
        if ( v == null )
            return dft;
        try {
            long n = Long.parseLong(expand(option, v).trim());
            if ( n < min || n > max )
                throw error(option, "must be from " + min + " to " + max + ", got " + n);
            return n;
        } catch (NumberFormatException ex) {
            throw error(option, "must be a whole number, got '" + v + "'");
        }
    }

    public boolean bool(String option, boolean dft) {
        String v = values.get(option);
        if ( v == null )
            return dft;
        return switch (expand(option, v).trim()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw error(option, "must be true or false, got '" + v + "'");
        };
    }

    public String oneOf(String option, String dft, String... allowed) {
        String v = string(option, dft);
        for ( String a : allowed ) {
            if ( a.equals(v) )
                return v;
        }
        throw error(option, "must be one of " + String.join(", ", allowed) + ", got '" + v + "'");
    }

    /** The option's value, or its declared default. */
    public String string(Option<String> option) {
        return string(option.name(), option.defaultValue());
    }

    /** The option's value, or its declared default, within its declared {@link Option.Range range}. */
    public long number(Option<Long> option) {
        if ( !(option.validator() instanceof Option.Range range) )
            throw new IllegalArgumentException(option.prefixedName() + " is not declared with a range");
        if ( option.defaultValue() == null && !has(option.name()) )
            throw new IllegalArgumentException(option.prefixedName() + " has no default; ask has() first");
        return number(option.name(), option.defaultValue() == null ? range.min() : option.defaultValue(), range.min(), range.max());
    }

    /** The option's value, or its declared default. */
    public boolean bool(Option<Boolean> option) {
        return bool(option.name(), option.defaultValue());
    }

    /** The option's value, or its declared default, one of its declared {@link Option.OneOf words}. */
    public String oneOf(Option<String> option) {
        if ( !(option.validator() instanceof Option.OneOf words) )
            throw new IllegalArgumentException(option.prefixedName() + " is not declared with its words");
        return oneOf(option.name(), option.defaultValue(), words.allowed().toArray(String[]::new));
    }

    public Duration duration(String option, Duration dft) {
        String v = values.get(option);
        if ( v == null )
            return dft;
        try {
            return Duration.parse(expand(option, v).trim());
        } catch (DateTimeParseException ex) {
            throw error(option, "must be a duration such as \"PT30S\" or \"P7D\", got '" + v + "'");
        }
    }

    /**
     * Extra client properties given as lines of {@code key=value} (Java properties syntax),
     * with {@code ${env:NAME}} expanded in values.
     */
    public Properties properties(String option) {
        Properties p = new Properties();
        String v = values.get(option);
        if ( v == null )
            return p;
        try {
            p.load(new java.io.StringReader(v));
        } catch (java.io.IOException | IllegalArgumentException ex) {
            // IllegalArgumentException: a malformed Unicode escape in a value.
            throw error(option, "is not in key=value lines: " + ex.getMessage());
        }
        for ( String k : p.stringPropertyNames() )
            p.setProperty(k, expand(option + " (" + k + ")", p.getProperty(k)));
        return p;
    }

    /**
     * The secret held by the environment variable that {@code option} names (options such as
     * {@code cdc:passwordEnv} name a variable; a secret is never written in a file). Messages
     * never repeat what was given: were it a secret written in place of a name, they would show it.
     *
     * @param example a variable name to show, e.g. {@code NATS_TOKEN}
     */
    public String secretFromVariable(String option, String example, Function<String, String> environment) {
        String name = string(option, "").trim();
        if ( !VARIABLE_NAME.matcher(name).matches() )
            throw error(option, "must be the name of an environment variable (letters, digits, '_'), such as " + example
                                + "; write the variable's name, not its value or ${env:...}");
        String value = environment.apply(name);
        if ( value == null || value.isEmpty() )
            throw error(option, "names an environment variable that is not set (or is empty) in the server's environment;"
                                + " set it there, or correct the variable's name");
        return value;
    }

    public String environmentValue(String option, String variable) {
        String value = environment.apply(variable);
        if ( value == null )
            throw error(option, "names environment variable " + variable + ", which is not set; set it in the server's environment");
        return value;
    }

    private String expand(String option, String v) {
        Matcher m = ENV.matcher(v);
        StringBuilder sb = new StringBuilder();
        while ( m.find() ) {
            String value = environment.apply(m.group(1));
            if ( value == null )
                throw error(option, "refers to environment variable " + m.group(1) + ", which is not set; set it in the server's environment");
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    public CdcConfigException error(String option, String problem) {
        return new CdcConfigException(option, owner + ": cdc:" + option + " " + problem + ".");
    }
}
