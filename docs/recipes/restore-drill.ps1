<#
.SYNOPSIS
    A restore drill: branch production as it was at a point in time, compare the branch with production (schema
    differences and the rows of one table), copy the rows production lost back, and remove the branch. Run it on a
    schedule to prove that restores work and to know how long one takes.
.EXAMPLE
    ./restore-drill.ps1 -ProjectId my-app -At (Get-Date).AddHours(-1) -Table orders -Key id
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string] $ProjectId,
    [Parameter(Mandatory)] [DateTimeOffset] $At,
    # The table whose rows to compare and copy back, and its key column.
    [Parameter(Mandatory)] [ValidatePattern('^[a-z_][a-z0-9_]*$')] [string] $Table,
    [Parameter(Mandatory)] [ValidatePattern('^[a-z_][a-z0-9_]*$')] [string] $Key,
    [string] $ProductionBranch = 'production'
)
$ErrorActionPreference = 'Stop'
$started = Get-Date
$production = Get-LakebaseBranch -ProjectId $ProjectId -BranchId $ProductionBranch
$drillId = 'restore-drill-' + $At.UtcDateTime.ToString('yyyyMMddHHmmss')
$drill = New-LakebaseBranch -ProjectId $ProjectId -Name $drillId -SourceBranch $ProductionBranch -AsOf $At -Ttl 1d
try {
    $schemaChanges = @(Compare-LakebaseBranch -ProjectId $ProjectId -BranchId $ProductionBranch -ReferenceBranchId $drillId)

    # Rows the restored branch has and production lost, by key (the names were checked above; values go as parameters).
    $productionKeys = [string[]]@(($production | Invoke-LakebaseQuery -Query "SELECT $Key::text AS k FROM $Table").k)
    $lost = @($drill | Invoke-LakebaseQuery -As Hashtable -Query "SELECT * FROM $Table WHERE NOT ($Key::text = ANY(@keys)) ORDER BY $Key" -Parameters @{ keys = $productionKeys })
    $copied = 0
    if ($lost -and $PSCmdlet.ShouldProcess("$($production.Name): $Table", "Copy back $($lost.Count) row(s)")) {
        $insert = "INSERT INTO $Table SELECT * FROM jsonb_populate_recordset(NULL::$Table, @rows::jsonb)"
        $copied = $production | Invoke-LakebaseQuery -As NonQuery -Transaction -Query $insert -Parameters @{ rows = ($lost | ConvertTo-Json -AsArray -Compress) }
    }
}
finally {
    $drill | Remove-LakebaseBranch -Confirm:$false
}
[pscustomobject]@{
    RestoredFrom = $At; SchemaChanges = $schemaChanges; LostRows = $lost.Count; CopiedRows = $copied; Duration = (Get-Date) - $started
}
