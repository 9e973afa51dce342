#!/usr/bin/env python3
"""Checks that Package.swift declares exactly what each target imports:
every module a target's sources import is among its dependencies, and
every dependency is imported. Prints one line per target that differs and
exits 1 if any does (system modules such as Foundation are ignored)."""
import re,os,sys
root=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pkg=open(root+'/Package.swift').read()
system={'Musl','Foundation','FoundationEssentials','Dispatch','Glibc','Testing','XCTest','Synchronization','Darwin','os','_Concurrency','FoundationNetworking'}
targets={}
bad=False
for m in re.finditer(r'\.(target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*"(\w+)"',pkg):
    kind,name=m.group(1),m.group(2)
    # block until matching paren
    i=m.start(); depth=0
    for j in range(pkg.index('(',i),len(pkg)):
        c=pkg[j]
        if c=='(':depth+=1
        elif c==')':
            depth-=1
            if depth==0: break
    block=pkg[m.start():j]
    deps=set()
    dm=re.search(r'dependencies:\s*\[(.*?)\](\s*,|\s*$)',block,re.S)
    if dm:
        d=dm.group(1)
        deps|=set(re.findall(r'\.product\(name:\s*"(\w+)"',d))
        d2=re.sub(r'\.product\([^)]*\)','',d)
        deps|=set(re.findall(r'"(\w+)"',d2))
    targets[name]=(kind,deps)
for name,(kind,deps) in targets.items():
    if kind=='systemLibrary': continue
    d=root+('/Tests/' if kind=='testTarget' else '/Sources/')+name
    imports=set()
    for dp,_,fs in os.walk(d):
        for f in fs:
            if f.endswith('.swift'):
                for line in open(os.path.join(dp,f)):
                    mm=re.match(r'^\s*(?:@testable\s+|@_exported\s+|public\s+|internal\s+)?import\s+(?:struct\s+|class\s+|enum\s+|func\s+)?(\w+)',line)
                    if mm: imports.add(mm.group(1))
    imports={i for i in imports if i[0].isupper()}-system
    extra=deps-imports; missing=imports-deps
    if extra or missing:
        print(name,'undeclared:',sorted(missing),'unused:',sorted(extra))
        bad=True

sys.exit(1 if bad else 0)
