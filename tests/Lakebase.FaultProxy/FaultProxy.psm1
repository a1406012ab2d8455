# Starts and drives the fault-injecting proxy (this folder's Lakebase.FaultProxy) from Pester and bench scripts.

function Start-FaultProxy {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Upstream, [int] $Seed)
    $dll = Get-ChildItem (Join-Path $PSScriptRoot 'bin') -Recurse -Filter 'Lakebase.FaultProxy.dll' |
        Where-Object { $_.Directory.Name -like 'net*' } | Sort-Object { $_.FullName -notlike '*Release*' }, LastWriteTime -Descending |
        Select-Object -First 1
    if (-not $dll) { throw 'Lakebase.FaultProxy is not built; run build.ps1.' }
    $start = [Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($argument in @($dll.FullName, '--upstream', $Upstream) + $(if ($PSBoundParameters.ContainsKey('Seed')) { '--seed', "$Seed" })) {
        $start.ArgumentList.Add($argument)
    }
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.UseShellExecute = $false
    $process = [Diagnostics.Process]::Start($start)
    $url = $process.StandardOutput.ReadLine()
    if (-not $url) { $process.Kill(); throw 'Lakebase.FaultProxy did not start.' }
    [pscustomobject]@{ Url = $url.TrimEnd('/'); Process = $process }
}

function Stop-FaultProxy {
    param([Parameter(Mandatory)] $Proxy)
    $Proxy.Process.StandardInput.Close()   # the proxy ends when its stdin does
    if (-not $Proxy.Process.WaitForExit(10000)) { $Proxy.Process.Kill() }
    $Proxy.Process.Dispose()
}

# Replaces the proxy's rules (an empty list: no faults). Each rule: Method, PathPattern (regex on the path), Fault
# (Status, LoseAnswer, Drop), Status, RetryAfter, ErrorCode, Message, Probability, Times.
function Set-Fault {
    param([Parameter(Mandatory)] $Proxy, [hashtable[]] $Rule = @())
    $body = ConvertTo-Json -InputObject @($Rule) -Depth 4 -Compress
    Invoke-RestMethod -Method Put -Uri "$($Proxy.Url)/_faults/rules" -Body $body -ContentType 'application/json' | Out-Null
}

# Hits: how many requests each rule failed (in rule order); Forwarded: requests answered by the upstream.
function Get-FaultStat {
    param([Parameter(Mandatory)] $Proxy)
    Invoke-RestMethod -Uri "$($Proxy.Url)/_faults/stats"
}

Export-ModuleMember -Function Start-FaultProxy, Stop-FaultProxy, Set-Fault, Get-FaultStat
