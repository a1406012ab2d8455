@{
    RootModule           = 'Lakebase.PowerShell.dll'
    # The one place the version is written: Directory.Build.props reads it for the assemblies.
    ModuleVersion        = '0.1.0'
    GUID                 = '4f0b7f63-5a43-4c5e-9a0e-2a7d3c1b9e11'
    Author               = 'Lakebase for PowerShell contributors'
    CompanyName          = 'Lakebase for PowerShell'
    Copyright            = '(c) Lakebase for PowerShell contributors. All rights reserved.'
    Description          = 'Manage Databricks Lakebase Autoscaling (serverless PostgreSQL with branching, scale-to-zero and point-in-time restore) from PowerShell, against a workspace or against Lakebase Local on this machine.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('formats/Lakebase.Format.ps1xml')
    CmdletsToExport      = @(
        'Compare-LakebaseBranch',
        'Connect-Lakebase',
        'Disconnect-Lakebase',
        'Get-LakebaseBranch',
        'Get-LakebaseCatalog',
        'Get-LakebaseContext',
        'Get-LakebaseCredential',
        'Get-LakebaseDatabase',
        'Get-LakebaseEndpoint',
        'Get-LakebaseLocal',
        'Get-LakebaseOperation',
        'Get-LakebasePermission',
        'Get-LakebaseProject',
        'Get-LakebaseRole',
        'Get-LakebaseSyncedTable',
        'Grant-LakebasePermission',
        'Invoke-LakebaseQuery',
        'New-LakebaseBranch',
        'New-LakebaseCatalog',
        'New-LakebaseDatabase',
        'New-LakebaseEndpoint',
        'New-LakebaseProject',
        'New-LakebaseRole',
        'New-LakebaseSyncedTable',
        'Register-LakebaseDeltaTable',
        'Remove-LakebaseBranch',
        'Remove-LakebaseCatalog',
        'Remove-LakebaseDatabase',
        'Remove-LakebaseEndpoint',
        'Remove-LakebaseProject',
        'Remove-LakebaseRole',
        'Remove-LakebaseSyncedTable',
        'Reset-LakebaseBranch',
        'Restore-LakebaseBranch',
        'Restore-LakebaseProject',
        'Revoke-LakebasePermission',
        'Set-LakebaseBranch',
        'Set-LakebaseDatabase',
        'Set-LakebaseEndpoint',
        'Set-LakebaseProject',
        'Set-LakebaseRole',
        'Start-LakebaseLocal',
        'Stop-LakebaseLocal',
        'Sync-LakebaseSyncedTable',
        'Wait-LakebaseOperation'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Databricks', 'Lakebase', 'PostgreSQL', 'Postgres', 'Database', 'Serverless', 'PSEdition_Core', 'Linux', 'MacOS')
            ProjectUri   = 'https://github.com/lakebase-powershell/lakebase'
            LicenseUri   = 'https://github.com/lakebase-powershell/lakebase/blob/main/LICENSE'
            # build.ps1 fills this in the module it builds with the CHANGELOG.md section of ModuleVersion.
            ReleaseNotes = ''
        }
    }
}
