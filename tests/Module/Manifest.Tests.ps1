BeforeAll {
    $script:manifestPath = $env:LAKEBASE_MODULE_PATH
    # The pwsh running these tests: an apphost, or `dotnet pwsh.dll` when pwsh runs as a .NET tool.
    $script:pwsh = if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') {
        [Environment]::ProcessPath, (Join-Path $PSHOME 'pwsh.dll')
    } else { , [Environment]::ProcessPath }
}

Describe 'The Lakebase module manifest' {
    It 'is a valid manifest for PowerShell 7.4 and later' {
        $manifest = Test-ModuleManifest -Path $manifestPath
        $manifest.PowerShellVersion | Should -Be ([version]'7.4')
        $manifest.CompatiblePSEditions | Should -Contain 'Core'
    }

    It 'exports every cmdlet the assembly defines, with approved verbs' {
        $exported = (Test-ModuleManifest -Path $manifestPath).ExportedCmdlets.Keys
        $exported | Should -Contain 'New-LakebaseBranch'
        $approved = (Get-Verb).Verb
        foreach ($name in $exported) { $approved | Should -Contain ($name -split '-')[0] }
    }

    It 'imports without loading Npgsql or starting anything' {
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-Command',
            "Import-Module '$manifestPath'; [AppDomain]::CurrentDomain.GetAssemblies().GetName().Name -contains 'Npgsql'")
        & $pwsh[0] @arguments | Should -Be 'False'
    }
}
