#requires -Version 7.4
<#
.SYNOPSIS
    Builds the Lakebase module, runs its tests, runs the demo on Lakebase Local, or packages the module.
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Package   # out/Lakebase.<version>.nupkg, as Publish-PSResource publishes it
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Test
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Demo
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Package')]
    [string] $Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    # Runs only the xUnit tests or only the Pester tests.
    [ValidateSet('All', 'Unit', 'Module')]
    [string] $Suite = 'All'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$root = $PSScriptRoot
$out = Join-Path $root 'out'
$moduleDir = Join-Path $out 'Lakebase'

function Invoke-Native([string] $Command, [string[]] $Arguments) {
    & $Command @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Command $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Build-Module {
    Invoke-Native dotnet @('build', (Join-Path $root 'Lakebase.sln'), '-c', $Configuration, '--nologo', '-v', 'q')
    if (Test-Path $moduleDir) { Remove-Item $moduleDir -Recurse -Force }
    $staging = Join-Path $out 'staging'
    if (Test-Path $staging) { Remove-Item $staging -Recurse -Force }
    Invoke-Native dotnet @('publish', (Join-Path $root 'src/Lakebase.PowerShell'), '-c', $Configuration, '--no-build', '-o', $staging, '--nologo', '-v', 'q')
    Invoke-Native dotnet @('publish', (Join-Path $root 'src/Lakebase.Local'), '-c', $Configuration, '--no-build', '-o', (Join-Path $moduleDir 'local'), '--nologo', '-v', 'q')

    # Only the cmdlet assembly loads into PowerShell's default context; everything it depends on lives in deps/
    # and loads into the module's own AssemblyLoadContext, so other modules' Npgsql or Polly never clash with ours.
    $deps = New-Item -ItemType Directory -Force (Join-Path $moduleDir 'deps')
    Get-ChildItem $staging -File | Where-Object Name -NotLike 'System.Management.Automation*' | ForEach-Object {
        $target = if ($_.Name -like 'Lakebase.PowerShell.*') { $moduleDir } else { $deps.FullName }
        Copy-Item $_.FullName $target
    }
    Remove-Item $staging -Recurse -Force
    Copy-Item (Join-Path $root 'Lakebase.psd1') $moduleDir
    Set-ReleaseNote (Join-Path $moduleDir 'Lakebase.psd1')
    Copy-Item (Join-Path $root 'LICENSE') $moduleDir
    Get-ChildItem $root -Directory | Where-Object Name -In 'formats', 'en-US' | Copy-Item -Destination $moduleDir -Recurse
    Write-Host "Module built: $moduleDir"
}

# The manifest's release notes are the CHANGELOG.md section of its version ("## 0.1.0" up to the next "## ").
function Set-ReleaseNote([string] $Manifest) {
    $version = (Import-PowerShellDataFile $Manifest).ModuleVersion
    $changelog = Get-Content (Join-Path $root 'CHANGELOG.md') -Raw
    $pattern = '(?ms)^## \[?' + [regex]::Escape($version) + '\]?[^\n]*\n(?<notes>.*?)(?=^## |\z)'
    if ($changelog -notmatch $pattern) { throw "CHANGELOG.md has no '## $version' section for the release notes of version $version." }
    $notes = $Matches.notes.Trim() -replace "'", "''"
    $text = Get-Content $Manifest -Raw
    if ($text -notmatch "ReleaseNotes\s*=\s*''") { throw "$Manifest has no empty ReleaseNotes entry to fill from CHANGELOG.md." }
    Set-Content $Manifest ($text -replace "ReleaseNotes\s*=\s*''", "ReleaseNotes = '$($notes -replace '\$', '$$$$')'") -NoNewline
}

# Publishes the built module to a file repository in out/, which writes out/Lakebase.<version>.nupkg exactly as
# Publish-PSResource would publish it to the PowerShell Gallery (it validates the manifest first). The repository is
# registered for the publish only.
function New-Package {
    $version = (Import-PowerShellDataFile (Join-Path $moduleDir 'Lakebase.psd1')).ModuleVersion
    $package = Join-Path $out "Lakebase.$version.nupkg"
    Remove-Item $package -ErrorAction SilentlyContinue
    $repository = "Lakebase-build-$PID"
    # PSResourceGet keeps its repositories and NuGet's config in these; on a fresh machine they may not exist yet, and
    # .NET then names no folder at all, so both would land in the current folder.
    foreach ($folder in 'LocalApplicationData', 'ApplicationData') { [Environment]::GetFolderPath($folder, 'Create') | Out-Null }
    Register-PSResourceRepository -Name $repository -Uri $out -Trusted
    try { Publish-PSResource -Path $moduleDir -Repository $repository }
    finally { Unregister-PSResourceRepository -Name $repository }
    if (-not (Test-Path $package)) { throw "Publish-PSResource did not write $package." }
    Write-Host "Package built: $package"
    $package
}

function Get-PesterModule {
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $manifest = Get-ChildItem (Join-Path $packages 'pester') -Directory | Sort-Object { [version]$_.Name } -Descending |
        Select-Object -First 1 | ForEach-Object { Join-Path $_.FullName 'tools/Pester.psd1' }
    if (-not $manifest -or -not (Test-Path $manifest)) { throw 'Pester was not restored; run dotnet restore Lakebase.sln.' }
    $manifest
}

# The pwsh running this script: an apphost, or `dotnet pwsh.dll` when it runs as a .NET tool.
function Get-PwshCommand {
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { $process, (Join-Path $PSHOME 'pwsh.dll') } else { $process }
}

function Test-Module {
    if ($Suite -in 'All', 'Unit') {
        # Quiet, except that a failing test shows its message and stack trace.
        Invoke-Native dotnet @('test', (Join-Path $root 'Lakebase.sln'), '-c', $Configuration, '--no-build', '--nologo', '-v', 'q', '--logger', 'console;verbosity=minimal')
    }
    if ($Suite -in 'All', 'Module') {
        $pester = Get-PesterModule
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$pester'
`$config = New-PesterConfiguration
`$config.Run.Path = '$(Join-Path $root 'tests/Module')'
`$config.Run.Exit = `$true
`$config.Output.Verbosity = 'Detailed'
Invoke-Pester -Configuration `$config
"@
        # A child pwsh so the module under test loads fresh, as a user's session would load it.
        $env:LAKEBASE_MODULE_PATH = Join-Path $moduleDir 'Lakebase.psd1'
        $env:LAKEBASE_PACKAGE_PATH = New-Package
        $pwsh = @(Get-PwshCommand)
        Invoke-Native $pwsh[0] (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script))
    }
}

Build-Module
switch ($Task) {
    'Test' { Test-Module }
    'Package' { New-Package | Out-Null }
    'Demo' { & (Join-Path $root 'src/demo.ps1') -ModulePath (Join-Path $moduleDir 'Lakebase.psd1') }
    'Bench' { Get-ChildItem (Join-Path $root 'bench') -Filter '*.ps1' | ForEach-Object { & $_.FullName -ModulePath (Join-Path $moduleDir 'Lakebase.psd1') } }
}
