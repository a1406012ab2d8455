BeforeAll {
    $script:manifestPath = $env:LAKEBASE_MODULE_PATH
}

Describe 'The Lakebase module manifest' {
    It 'is a valid manifest for PowerShell 7.4 and later' {
        $manifest = Test-ModuleManifest -Path $manifestPath
        $manifest.PowerShellVersion | Should -Be ([version]'7.4')
        $manifest.CompatiblePSEditions | Should -Contain 'Core'
    }

    It 'imports without loading Npgsql' {
        $loaded = & (Join-Path $PSHOME 'pwsh') -NoProfile -Command "Import-Module '$manifestPath'; [AppDomain]::CurrentDomain.GetAssemblies().GetName().Name -contains 'Npgsql'" 2>$null
        if ($LASTEXITCODE -ne 0 -or $null -eq $loaded) {
            $loaded = & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -Command "Import-Module '$manifestPath'; [AppDomain]::CurrentDomain.GetAssemblies().GetName().Name -contains 'Npgsql'"
        }
        $loaded | Should -Be 'False'
    }
}
