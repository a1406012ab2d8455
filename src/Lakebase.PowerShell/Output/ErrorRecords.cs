using System.Management.Automation;
using System.Runtime.CompilerServices;
using Lakebase.Client;
using Lakebase.Client.Local;

namespace Lakebase.PowerShell.Output;

/// <summary>Turns failures into ErrorRecords a user can act on: the service's error_code as the error id, a category
/// from the HTTP status, the resource as the target. Never a stack trace, never a secret.</summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(Exception exception, object? target) => exception switch
    {
        LakebaseApiException api => new ErrorRecord(api, api.ErrorCode, Category(api), api.Target ?? target)
        {
            ErrorDetails = new ErrorDetails($"{api.Message} ({(api.HttpStatus == 0 ? "" : api.HttpStatus + " ")}{api.ErrorCode})"),
        },
        Npgsql.PostgresException sql => new ErrorRecord(sql, sql.SqlState, ErrorCategory.InvalidOperation, target)
        {
            ErrorDetails = new ErrorDetails($"{sql.MessageText} (SQLSTATE {sql.SqlState})"
                + (sql.Detail is null ? "" : $"\nDetail: {sql.Detail}")
                + (sql.Position > 0 ? $"\nPosition: {sql.Position}" : "")
                + (StatementOf(sql) is { Length: > 0 } statement ? $"\nStatement: {statement}" : "")),
        },
        Npgsql.NpgsqlException connection => new ErrorRecord(connection, "DatabaseConnectionFailed", ErrorCategory.ConnectionError, target),
        LakebaseConfigException config => new ErrorRecord(config, "LakebaseConfiguration", ErrorCategory.AuthenticationError, target),
        ArgumentException argument => new ErrorRecord(argument, "InvalidArgument", ErrorCategory.InvalidArgument, target),
        TimeoutException timeout => new ErrorRecord(timeout, "Timeout", ErrorCategory.OperationTimeout, target),
        NotSupportedException notSupported => new ErrorRecord(notSupported, "NotSupported", ErrorCategory.NotImplemented, target),
        HttpRequestException http => new ErrorRecord(http, "ConnectionFailed", ErrorCategory.ConnectionError, target),
        InvalidDataException data => new ErrorRecord(data, "InvalidData", ErrorCategory.InvalidData, target),
        PostgresNotInstalledException missing => new ErrorRecord(missing, "PostgresNotInstalled", ErrorCategory.NotInstalled, target),
        _ => new ErrorRecord(exception, exception.GetType().Name, ErrorCategory.NotSpecified, target),
    };

    /// <summary>Failures a user can act on (shown as errors); anything else is a bug and surfaces as such.
    /// Kept apart from the cmdlets so Npgsql loads only when a failure is examined.</summary>
    public static bool IsExpected(Exception exception) => exception is LakebaseApiException or LakebaseConfigException or ArgumentException
        or TimeoutException or HttpRequestException or InvalidOperationException or IOException or InvalidDataException or NotSupportedException
        or Npgsql.NpgsqlException;

    /// <summary>The statement that failed. A script run as one command is split by Npgsql into statements whose
    /// public CommandText is empty; their text is kept in an internal property, read here when it exists.</summary>
    private static string? StatementOf(Npgsql.PostgresException sql)
    {
        if (sql.BatchCommand is not { } command) return null;
        if (command.CommandText.Length > 0) return command.CommandText;
        try { return FinalCommandText(command); }
        catch (MissingMethodException) { return null; }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_FinalCommandText")]
    private static extern string? FinalCommandText(Npgsql.NpgsqlBatchCommand command);

    public static ErrorRecord NotConnected() => new(
        new InvalidOperationException("Not connected. Run Connect-Lakebase (or Connect-Lakebase -Local), or pass -Context."),
        "NotConnected", ErrorCategory.ConnectionError, null);

    private static ErrorCategory Category(LakebaseApiException api) => api.HttpStatus switch
    {
        400 => ErrorCategory.InvalidArgument,
        401 => ErrorCategory.AuthenticationError,
        403 => ErrorCategory.PermissionDenied,
        404 => ErrorCategory.ObjectNotFound,
        409 => ErrorCategory.ResourceExists,
        429 => ErrorCategory.LimitsExceeded,
        501 => ErrorCategory.NotImplemented,
        503 => ErrorCategory.ResourceUnavailable,
        504 => ErrorCategory.OperationTimeout,
        0 => api.ErrorCode is "INVALID_PARAMETER_VALUE" or "BAD_REQUEST" ? ErrorCategory.InvalidArgument : ErrorCategory.InvalidOperation,
        _ => ErrorCategory.NotSpecified,
    };
}
