using System.Globalization;
using System.Text.RegularExpressions;

namespace Lakebase.Local.Compute;

/// <summary>
/// The PostgreSQL settings a user may set through pg_settings: the planner, memory, logging, statement and lock
/// timeouts, vacuum and checkpoints, client defaults and extensions' harmless settings. It is an allowlist because
/// many settings run programs or load code as the server's account (archive_cleanup_command,
/// session_preload_libraries, dynamic_library_path...), and others change how literals parse
/// (standard_conforming_strings) under Lakebase Local's own SQL. Each name exists in every supported major (an
/// unknown name in the configuration file stops postgres), and each value is checked for its type and range.
/// </summary>
internal static partial class TunableSettings
{
    private abstract record Setting
    {
        /// <summary>What is wrong with <paramref name="value"/>; null when PostgreSQL will take it.</summary>
        public abstract string? Problem(string value);
    }

    private sealed record Bool : Setting
    {
        private static readonly string[] Words = ["on", "off", "true", "false", "yes", "no", "1", "0"];
        public override string? Problem(string value) =>
            Words.Contains(value.Trim(), StringComparer.OrdinalIgnoreCase) ? null : "must be on or off";
    }

    private sealed record Choice(params string[] Values) : Setting
    {
        public override string? Problem(string value) =>
            Values.Contains(value.Trim(), StringComparer.OrdinalIgnoreCase) ? null : $"must be one of {string.Join(", ", Values)}";
    }

    private sealed record Real(double Min, double Max) : Setting
    {
        public override string? Problem(string value) =>
            double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) && number >= Min && number <= Max
                ? null
                : string.Create(CultureInfo.InvariantCulture, $"must be a number between {Min} and {Max}");
    }

    /// <summary>An integer, optionally with a unit; <paramref name="BaseUnit"/> is what a bare number means, in bytes
    /// for sizes and milliseconds for times; Min and Max are in those terms too. -1 (off) is allowed where Min is -1.</summary>
    private sealed record Quantity(QuantityKind Kind, long BaseUnit, long Min, long Max) : Setting
    {
        public override string? Problem(string value)
        {
            var expected = Kind == QuantityKind.Size
                ? $"must be a size between {Describe(Min)} and {Describe(Max)} (units B, kB, MB, GB, TB)"
                : $"must be a time between {Describe(Min)} and {Describe(Max)} (units us, ms, s, min, h, d)";
            var match = QuantityPattern().Match(value);
            if (!match.Success || !long.TryParse(match.Groups["number"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                return expected;
            var unit = match.Groups["unit"].Value;
            double? scale = unit.Length == 0 ? BaseUnit : (Kind == QuantityKind.Size ? SizeUnits : TimeUnits).TryGetValue(unit, out var factor) ? factor : null;
            if (scale is null) return expected;
            if (number == -1 && Min == -1) return null;
            var amount = number * scale.Value;
            return number >= 0 && amount >= Math.Max(Min, 0) && amount <= Max ? null : expected;
        }

        private string Describe(long amount) => amount switch
        {
            -1 => "-1 (off)",
            _ when Kind == QuantityKind.Time => amount % 3_600_000 == 0 && amount > 0 ? $"{amount / 3_600_000}h" : amount % 1000 == 0 && amount > 0 ? $"{amount / 1000}s" : $"{amount}ms",
            _ => amount % (1L << 30) == 0 && amount > 0 ? $"{amount >> 30}GB" : amount % (1L << 20) == 0 && amount > 0 ? $"{amount >> 20}MB" : $"{amount >> 10}kB",
        };
    }

    private enum QuantityKind { Size, Time }

    /// <summary>Text PostgreSQL checks only when it uses it (so a bad value cannot stop the compute from starting); only
    /// control characters are refused, and the file writer escapes the rest.</summary>
    private sealed record Text(int MaxLength = 1024) : Setting
    {
        public override string? Problem(string value) => value.Length > MaxLength ? $"must be at most {MaxLength} characters" : null;
    }

    private static readonly Dictionary<string, double> SizeUnits = new(StringComparer.Ordinal)
    {
        ["B"] = 1, ["kB"] = 1024, ["MB"] = 1 << 20, ["GB"] = 1 << 30, ["TB"] = 1L << 40,
    };

    private static readonly Dictionary<string, double> TimeUnits = new(StringComparer.Ordinal)
    {
        ["us"] = 0.001, ["ms"] = 1, ["s"] = 1000, ["min"] = 60_000, ["h"] = 3_600_000, ["d"] = 86_400_000,
    };

    private const long KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB, Block = 8 * KiB;
    private const long Ms = 1, Second = 1000, Minute = 60 * Second, Hour = 60 * Minute, Day = 24 * Hour;

    private static Quantity Size(long baseUnit, long min, long max) => new(QuantityKind.Size, baseUnit, min, max);
    private static Quantity Time(long baseUnit, long min, long max) => new(QuantityKind.Time, baseUnit, min, max);

    private static readonly Dictionary<string, Setting> Allowed = new(StringComparer.Ordinal)
    {
        // Planner methods and costs.
        ["enable_async_append"] = new Bool(), ["enable_bitmapscan"] = new Bool(), ["enable_gathermerge"] = new Bool(),
        ["enable_hashagg"] = new Bool(), ["enable_hashjoin"] = new Bool(), ["enable_incremental_sort"] = new Bool(),
        ["enable_indexscan"] = new Bool(), ["enable_indexonlyscan"] = new Bool(), ["enable_material"] = new Bool(),
        ["enable_memoize"] = new Bool(), ["enable_mergejoin"] = new Bool(), ["enable_nestloop"] = new Bool(),
        ["enable_parallel_append"] = new Bool(), ["enable_parallel_hash"] = new Bool(), ["enable_partition_pruning"] = new Bool(),
        ["enable_partitionwise_join"] = new Bool(), ["enable_partitionwise_aggregate"] = new Bool(), ["enable_seqscan"] = new Bool(),
        ["enable_sort"] = new Bool(), ["enable_tidscan"] = new Bool(),
        ["seq_page_cost"] = new Real(0, 1e10), ["random_page_cost"] = new Real(0, 1e10), ["cpu_tuple_cost"] = new Real(0, 1e10),
        ["cpu_index_tuple_cost"] = new Real(0, 1e10), ["cpu_operator_cost"] = new Real(0, 1e10),
        ["parallel_setup_cost"] = new Real(0, 1e10), ["parallel_tuple_cost"] = new Real(0, 1e10),
        ["min_parallel_table_scan_size"] = Size(Block, 0, 8 * GiB), ["min_parallel_index_scan_size"] = Size(Block, 0, 8 * GiB),
        ["effective_cache_size"] = Size(Block, 8 * KiB, 1024 * GiB),
        ["default_statistics_target"] = new Real(1, 10000), ["constraint_exclusion"] = new Choice("on", "off", "partition"),
        ["cursor_tuple_fraction"] = new Real(0, 1), ["from_collapse_limit"] = new Real(1, 1000), ["join_collapse_limit"] = new Real(1, 1000),
        ["geqo"] = new Bool(), ["geqo_threshold"] = new Real(2, 1000), ["jit"] = new Bool(),
        ["plan_cache_mode"] = new Choice("auto", "force_generic_plan", "force_custom_plan"),
        ["max_parallel_workers_per_gather"] = new Real(0, 64), ["max_parallel_maintenance_workers"] = new Real(0, 64),
        ["parallel_leader_participation"] = new Bool(), ["recursive_worktable_factor"] = new Real(0.001, 1e6),

        // Memory a session or maintenance uses (the compute's size sets these too; a value here overrides it).
        ["work_mem"] = Size(KiB, 64 * KiB, 2 * GiB), ["maintenance_work_mem"] = Size(KiB, MiB, 2 * GiB),
        ["autovacuum_work_mem"] = Size(KiB, -1, 2 * GiB), ["logical_decoding_work_mem"] = Size(KiB, 64 * KiB, 2 * GiB),
        ["temp_buffers"] = Size(Block, 800 * KiB, GiB), ["hash_mem_multiplier"] = new Real(1, 1000),
        ["temp_file_limit"] = Size(KiB, -1, 1024 * GiB), ["gin_pending_list_limit"] = Size(KiB, 64 * KiB, 2 * GiB),

        // Statement and lock timeouts (0 turns a timeout off).
        ["statement_timeout"] = Time(Ms, 0, 7 * Day), ["lock_timeout"] = Time(Ms, 0, 7 * Day),
        ["idle_in_transaction_session_timeout"] = Time(Ms, 0, 7 * Day), ["deadlock_timeout"] = Time(Ms, Ms, Hour),

        // Logging and statistics.
        ["log_min_duration_statement"] = Time(Ms, -1, 7 * Day), ["log_min_duration_sample"] = Time(Ms, -1, 7 * Day),
        ["log_autovacuum_min_duration"] = Time(Ms, -1, 7 * Day), ["log_statement_sample_rate"] = new Real(0, 1),
        ["log_transaction_sample_rate"] = new Real(0, 1),
        ["log_statement"] = new Choice("none", "ddl", "mod", "all"),
        ["log_min_messages"] = new Choice("debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning", "error", "log", "fatal", "panic"),
        ["log_min_error_statement"] = new Choice("debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning", "error", "log", "fatal", "panic"),
        ["log_error_verbosity"] = new Choice("terse", "default", "verbose"),
        ["log_line_prefix"] = new Text(), ["log_lock_waits"] = new Bool(), ["log_temp_files"] = Size(KiB, -1, 1024 * GiB),
        ["log_checkpoints"] = new Bool(), ["log_connections"] = new Bool(), ["log_disconnections"] = new Bool(), ["log_duration"] = new Bool(),
        ["log_parameter_max_length"] = Size(1, -1, GiB), ["log_parameter_max_length_on_error"] = Size(1, -1, GiB),
        ["track_io_timing"] = new Bool(), ["track_functions"] = new Choice("none", "pl", "all"),
        ["track_activity_query_size"] = Size(1, 100, MiB), ["compute_query_id"] = new Choice("auto", "on", "off"),

        // Vacuum and checkpoints.
        ["autovacuum"] = new Bool(), ["autovacuum_naptime"] = Time(Second, Second, Day),
        ["autovacuum_vacuum_scale_factor"] = new Real(0, 100), ["autovacuum_analyze_scale_factor"] = new Real(0, 100),
        ["autovacuum_vacuum_insert_scale_factor"] = new Real(0, 100), ["autovacuum_vacuum_threshold"] = new Real(0, int.MaxValue),
        ["autovacuum_analyze_threshold"] = new Real(0, int.MaxValue), ["autovacuum_vacuum_cost_limit"] = new Real(-1, 10000),
        ["vacuum_cost_limit"] = new Real(1, 10000), ["checkpoint_completion_target"] = new Real(0, 1),
        ["checkpoint_timeout"] = Time(Second, 30 * Second, Day), ["max_wal_size"] = Size(MiB, 2 * 16 * MiB, 1024 * GiB),
        ["min_wal_size"] = Size(MiB, 2 * 16 * MiB, 1024 * GiB), ["wal_compression"] = new Choice("on", "off", "pglz", "lz4"),

        // Client connection defaults.
        ["search_path"] = new Text(),
        ["intervalstyle"] = new Choice("postgres", "postgres_verbose", "sql_standard", "iso_8601"),
        ["default_transaction_isolation"] = new Choice("serializable", "repeatable read", "read committed", "read uncommitted"),
        ["client_min_messages"] = new Choice("debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error"),
        ["application_name"] = new Text(64), ["bytea_output"] = new Choice("hex", "escape"), ["extra_float_digits"] = new Real(-15, 3),
        ["xmloption"] = new Choice("content", "document"), ["default_toast_compression"] = new Choice("pglz", "lz4"),
        ["gin_fuzzy_search_limit"] = new Real(0, int.MaxValue), ["row_security"] = new Bool(),

        // Extensions' settings that only tune them.
        ["pg_stat_statements.track"] = new Choice("none", "top", "all"), ["pg_stat_statements.max"] = new Real(100, 1_000_000),
        ["pg_stat_statements.track_utility"] = new Bool(), ["pg_stat_statements.save"] = new Bool(),
        ["auto_explain.log_min_duration"] = Time(Ms, -1, 7 * Day), ["auto_explain.log_analyze"] = new Bool(),
        ["auto_explain.log_buffers"] = new Bool(), ["auto_explain.log_nested_statements"] = new Bool(),
        ["pg_trgm.similarity_threshold"] = new Real(0, 1), ["pg_trgm.word_similarity_threshold"] = new Real(0, 1),
        ["pg_trgm.strict_word_similarity_threshold"] = new Real(0, 1),
    };

    /// <summary>What is wrong with setting <paramref name="name"/> to <paramref name="value"/>, as the 400's message;
    /// null when both are fine.</summary>
    public static string? Problem(string name, string? value)
    {
        if (!Allowed.TryGetValue(name, out var setting))
            return $"pg_settings cannot set '{name}': only user-tunable settings (planner, memory, logging, timeouts, vacuum, " +
                   "client defaults and extension tuning) may be set.";
        if (value is null) return $"pg_settings '{name}' needs a value.";
        if (value.Any(char.IsControl)) return $"pg_settings '{name}' must not contain control characters.";
        return setting.Problem(value) is { } problem ? $"pg_settings '{name}' {problem}, got '{value}'." : null;
    }

    [GeneratedRegex(@"^\s*(?<number>[-+]?\d+)\s*(?<unit>[a-zA-Z]*)\s*$")]
    private static partial Regex QuantityPattern();
}
