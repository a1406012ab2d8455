# Databricks unified auth against Lakebase Local: OAuth M2M with a service principal, and the environment variables.
BeforeAll {
    Import-Module $env:LAKEBASE_MODULE_PATH -Force
    $script:root = Join-Path ([IO.Path]::GetTempPath()) ("lba-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $script:admin = Connect-Lakebase -Local -StateRoot $root -Port 0
    $server = Get-LakebaseLocal -StateRoot $root
    $token = (Get-Content $server.AdminTokenFile -Raw).Trim()
    $script:principal = Invoke-RestMethod -Method Post -Uri "$($server.ApiUrl)/api/2.0/lakebase-local/service-principals" `
        -Headers @{ Authorization = "Bearer $token" } -ContentType 'application/json' -Body '{"display_name":"ci pipeline"}'
    $script:apiUrl = $server.ApiUrl
}

AfterAll {
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'OAuth M2M' {
    It 'connects as the service principal with a client id and secret' {
        $secret = ConvertTo-SecureString $principal.secret -AsPlainText -Force
        $context = Connect-Lakebase $apiUrl -ClientId $principal.application_id -ClientSecret $secret -NoDefault
        $context.AuthType | Should -Be 'oauth-m2m'
        $context.UserName | Should -Be $principal.application_id
        New-LakebaseProject 'sp-owned' -Context $context | Out-Null
        (Get-LakebaseProject sp-owned -Context $context).Owner | Should -Be $principal.application_id
    }

    It 'refuses a wrong secret with a clear error and no secret in it' {
        $wrong = ConvertTo-SecureString 'not-the-secret' -AsPlainText -Force
        { Connect-Lakebase $apiUrl -ClientId $principal.application_id -ClientSecret $wrong -NoDefault -ErrorAction Stop } | Should -Throw '*invalid_client*'
        $Error[0].ToString() | Should -Not -BeLike '*not-the-secret*'
    }

    It 'reads DATABRICKS_HOST, DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET' {
        $env:DATABRICKS_HOST = $apiUrl
        $env:DATABRICKS_CLIENT_ID = $principal.application_id
        $env:DATABRICKS_CLIENT_SECRET = $principal.secret
        try {
            (Connect-Lakebase -NoDefault).AuthType | Should -Be 'oauth-m2m'
        }
        finally {
            Remove-Item Env:DATABRICKS_HOST, Env:DATABRICKS_CLIENT_ID, Env:DATABRICKS_CLIENT_SECRET
        }
    }
}
