# The README's first command runs src/demo.ps1 (build.ps1 -Task Demo): it must keep working, end to end, on a
# Lakebase Local of its own.
Describe 'The demo' {
    It 'runs end to end and shows each branch''s own data and the restored table' {
        $demo = Join-Path $PSScriptRoot '../../src/demo.ps1'
        $stateRoot = Join-Path ([IO.Path]::GetTempPath()) ("lbdemo-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
        $pwsh = if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') { [Environment]::ProcessPath, (Join-Path $PSHOME 'pwsh.dll') } else { , [Environment]::ProcessPath }
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $demo, '-ModulePath', $env:LAKEBASE_MODULE_PATH, '-StateRoot', $stateRoot)
        $output = & $pwsh[0] @arguments *>&1 | Out-String -Width 200
        $LASTEXITCODE | Should -Be 0 -Because $output

        # Production keeps its 1,000 orders; the PR branch deleted 400 of its own copy.
        $output | Should -Match 'production\s+1000'
        $output | Should -Match 'pr-1042\s+600'
        # The table dropped on production came back from the branch made at a moment before.
        $output | Should -Match '(?m)^\s*1000\s+\d+\.\d\d\s*$'
        $output | Should -Match 'NOT_FOUND'
        Test-Path $stateRoot | Should -BeFalse -Because 'the demo stops its server and removes its state'
    }
}
